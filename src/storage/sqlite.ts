/**
 * The embedded default: one SQLite file in WAL mode, so an acknowledged write survives kill -9 and
 * power loss. Writes issued in the same event-loop turn share one commit (group commit), and a write
 * is acknowledged only once the WAL holding its commit has been fdatasync'd.
 *
 * That sync is what `synchronous = FULL` does inside COMMIT (SQLite docs: in WAL mode, FULL is NORMAL
 * plus a WAL sync after each commit). Here it runs on the libuv thread pool instead of blocking the
 * event loop, so requests keep being served, and the commits that land meanwhile share the next sync.
 * Until its sync completes, a written key is not read back (a reader waits), so nothing is ever
 * served that a power loss could take back. An fsync failure fails this backend closed.
 *
 * Checkpoints (copying the WAL back into the database file) are run here too, not by SQLite after a
 * commit: SQLite's own syncs the WAL and the database file on the event loop, which stalled every
 * request for 20–35 ms at a time during a burst of writes. See checkpoint().
 */
import { chmodSync, closeSync, existsSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NamePage, StorageBackend, TxOp } from './backend.js';
import { childFolder, splitKey, upperBound } from './key-split.js';
import { compareCodePoints } from './list.js';
import { validateFolder, validateKey, validateOps } from './validate-key.js';

interface PendingWrite {
  ops: TxOp[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Ops committed between checkpoints. A random key dirties a page or two; 2,000 ops keep the WAL to a
 * few thousand frames, so a checkpoint's copy is a few milliseconds.
 */
export const CHECKPOINT_EVERY_OPS = 2000;

/** Committed writes waiting for the WAL sync that makes them durable. */
interface Unsynced {
  writes: PendingWrite[];
  keys: string[];
  /** Which commit this was (1, 2, …). */
  commit: number;
}

/**
 * A value as a plain Uint8Array, viewing the Buffer the driver made for it rather than copying it:
 * each blob gets its own memory, so the view holds nothing else alive (the copy was ~1 us a row).
 */
function plain(value: Buffer): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export class SqliteBackend implements StorageBackend {
  readonly type = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** Committed but not yet durable: the keys readers must wait for, and the next sync's writes. */
  private readonly unsyncedKeys = new Map<string, number>();
  private unsynced: Unsynced[] = [];
  private syncing = false;
  private commits = 0;
  private syncedCommits = 0;
  private readonly waiters: { commit: number; resolve: () => void }[] = [];
  private walFd?: number;
  private dbFd?: number;
  private failed?: Error;
  private opsSinceCheckpoint = 0;
  /** A checkpoint is due or its database sync is running: commits wait (see checkpoint()). */
  private checkpointHold = false;

  constructor(readonly path: string) {
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    try {
      this.configure();
    } catch (error) {
      this.db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY')
        throw new Error(`storage file ${path} is in use by another process (is another server running?)`);
      throw error;
    }
    this.restrictFileModes();
    this.statements = {
      get: this.db.prepare('SELECT value FROM entries WHERE parent = ? AND name = ?').pluck(),
      // An upsert, not INSERT OR REPLACE: REPLACE deletes the old row and appends a new one under a new
      // rowid, which also rewrites the key's index entry and dirties the old row's page as well as the
      // last one. Updating in place touches only the row's own page.
      put: this.db.prepare(
        'INSERT INTO entries (parent, name, value) VALUES (?, ?, ?) ON CONFLICT (parent, name) DO UPDATE SET value = excluded.value',
      ),
      delete: this.db.prepare('DELETE FROM entries WHERE parent = ? AND name = ?'),
      // Names come back as text: a BLOB column is a new Buffer per row (an ArrayBuffer of its own,
      // malloc'd and swept), which made scanning 100,000 due names 3-4 times as slow as this. Keys are
      // validated UTF-8 without NUL, so the text is the name's bytes read as Buffer#toString would.
      leaves: this.db.prepare('SELECT CAST(name AS TEXT) FROM entries WHERE parent = ?').pluck(),
      anyUnder: this.db.prepare('SELECT 1 FROM entries WHERE parent >= ? AND parent < ? LIMIT 1').pluck(),
      // Names only: the (parent, name) index answers it without touching the table's rows.
      namePage: this.db
        .prepare('SELECT CAST(name AS TEXT) FROM entries WHERE parent = ? AND name > ? ORDER BY name LIMIT ?')
        .pluck(),
      nextFolder: this.db
        .prepare('SELECT parent FROM entries WHERE parent > ? AND parent < ? ORDER BY parent LIMIT 1')
        .pluck(),
    };
  }

  private configure(): void {
    // One process owns the file, as Vault's integrated storage holds its bolt file: a second server on
    // the same file would write behind this one's barrier cache. Exclusive mode also keeps the WAL index
    // in this process's memory instead of a shared -shm file, which saves a pair of fcntl lock calls on
    // every read (a storage read went from ~5 to ~1 us). Set before WAL is entered, so no -shm is used.
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('journal_mode = WAL');
    // OFF: SQLite syncs nothing itself. Our WAL sync before acknowledging gives FULL's durability for
    // commits, and checkpoint() syncs the database file before the WAL can be reused (file comment).
    this.db.pragma('synchronous = OFF');
    this.db.pragma('wal_autocheckpoint = 0');
    // A rowid table with the (parent, name) index: a random key dirties a small index page and the rows
    // append at the end, where a WITHOUT ROWID table rewrites a random leaf full of values (measured: a
    // token's three random rows cost 67 instead of 116 us of SQLite work). Files created by earlier
    // versions keep their WITHOUT ROWID table; every statement below works on both.
    this.db.exec(`CREATE TABLE IF NOT EXISTS entries (
      parent BLOB NOT NULL, name BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (parent, name))`);
    // Take the write lock now and keep it: a second server on this file fails here, not at its first write.
    this.db.exec('BEGIN EXCLUSIVE; COMMIT');
  }

  /** Key material lives in this file (encrypted, but still): nobody else may read it, WAL included. */
  private restrictFileModes(): void {
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(this.path + suffix)) chmodSync(this.path + suffix, 0o600);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    const { parent, name } = splitKey(key);
    const value = this.statements.get.get(parent, name) as Buffer | undefined;
    // What was just read may come from a commit not yet synced: answer once that commit is durable.
    if (this.unsyncedKeys.has(key)) await this.durable(this.commits);
    return value && plain(value);
  }

  /** What was just read under `prefix` may come from commits not yet synced: wait for them first. */
  private async durableUnder(prefix: string): Promise<void> {
    for (const key of this.unsyncedKeys.keys()) {
      if (key.startsWith(prefix)) return this.durable(this.commits);
    }
  }

  /** Waits for a commit's sync; after a failed sync, what was read may not be durable and is refused. */
  private async durable(commit: number): Promise<void> {
    if (commit > this.syncedCommits)
      await new Promise<void>((resolve) => this.waiters.push({ commit, resolve }));
    if (this.failed) throw this.failed;
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    const children = this.listNow(prefix);
    await this.durableUnder(prefix);
    return children;
  }

  /** Whether any key starts with `prefix` (a folder ending in "/"): one index seek, where list takes two. */
  async hasAnyUnder(prefix: string): Promise<boolean> {
    validateFolder(prefix, 'probed prefix');
    const base = Buffer.from(prefix, 'utf8');
    const found = this.statements.anyUnder.get(base, upperBound(base)) !== undefined;
    await this.durableUnder(prefix);
    return found;
  }

  /** A page of `folder`'s leaf names, from the index alone (unseal indexes due entries by name). */
  async scanNames(folder: string, after: string | undefined, limit: number): Promise<NamePage> {
    validateFolder(folder, 'scanned folder', true);
    const names = this.statements.namePage.all(
      Buffer.from(folder, 'utf8'),
      Buffer.from(after ?? '', 'utf8'),
      limit,
    ) as string[];
    await this.durableUnder(folder);
    return { names, next: names.length === limit ? names[names.length - 1] : undefined };
  }

  private listNow(prefix: string): string[] {
    const base = Buffer.from(prefix, 'utf8');
    const children = this.statements.leaves.all(base) as string[];
    const end = upperBound(base);
    let from: Buffer = base;
    for (;;) {
      const parent = this.statements.nextFolder.get(from, end) as Buffer | undefined;
      if (!parent) break;
      const folder = childFolder(base, parent);
      children.push(folder.subarray(base.length).toString('utf8'));
      from = upperBound(folder);
    }
    return children.sort(compareCodePoints);
  }

  transaction(ops: TxOp[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    try {
      validateOps(ops);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({
        ops: ops.map((op) => (op.op === 'put' ? { ...op, value: Buffer.from(op.value) } : op)),
        resolve,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every write queued since the last flush in one SQLite transaction; one WAL sync makes it durable. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.checkpointHold) return; // checkpoint() flushes what waited once it is done
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const write of batch) {
          for (const op of write.ops) {
            const { parent, name } = splitKey(op.key);
            if (op.op === 'put') this.statements.put.run(parent, name, op.value);
            else this.statements.delete.run(parent, name);
          }
        }
      })();
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    this.restrictFileModesOnce();
    const keys: string[] = [];
    for (const write of batch) {
      this.opsSinceCheckpoint += write.ops.length;
      for (const op of write.ops) {
        keys.push(op.key);
        this.unsyncedKeys.set(op.key, (this.unsyncedKeys.get(op.key) ?? 0) + 1);
      }
    }
    this.unsynced.push({ writes: batch, keys, commit: ++this.commits });
    if (this.opsSinceCheckpoint >= CHECKPOINT_EVERY_OPS) this.checkpointHold = true;
    if (!this.syncing) this.syncWal();
  }

  /**
   * Copies the WAL into the database file, then syncs that file on the thread pool. Runs only once
   * every commit is durable in the WAL (so no page of an unacknowledged commit reaches the database
   * file), and holds new commits until the database file's sync is done: the first commit after a
   * complete checkpoint starts the WAL over, writing over frames whose copies might not be on disk yet.
   * The copy runs on the event loop (pwrites into the page cache); the syncs do not.
   */
  private checkpoint(): void {
    this.opsSinceCheckpoint = 0;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A copy that could not be written (EFBIG, ENOSPC) is not a failed sync: SQLite moves the WAL's
      // backfill mark only after a complete copy, so the WAL is not started over and every commit is
      // still read from it, synced. Commits go on (they fail by themselves while the disk is full), and
      // the checkpoint is tried again after the next CHECKPOINT_EVERY_OPS. Failing closed here made a
      // disk that filled up during a checkpoint need a restart once space was back.
      this.checkpointDone(undefined);
      return;
    }
    let fd: number;
    try {
      fd = this.openDb();
    } catch (error) {
      this.checkpointDone(error);
      return;
    }
    fdatasync(fd, (error) => this.checkpointDone(error ?? undefined));
  }

  private checkpointDone(error: unknown): void {
    if (error) this.failClosed();
    this.checkpointHold = false;
    if (this.failed) {
      for (const write of this.pending.splice(0)) write.reject(this.failed);
      return;
    }
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * One fdatasync of the WAL at a time. It covers every commit made before it started; commits made
   * while it runs wait for the next one (their frames may have missed it).
   */
  private syncWal(): void {
    const covered = this.unsynced;
    this.unsynced = [];
    this.syncing = true;
    let fd: number;
    try {
      fd = this.openWal();
    } catch (error) {
      this.syncDone(covered, error);
      return;
    }
    fdatasync(fd, (error) => this.syncDone(covered, error ?? undefined));
  }

  private syncDone(covered: Unsynced[], error: unknown): void {
    this.syncing = false;
    if (error) this.failClosed();
    for (const batch of covered) {
      for (const key of batch.keys) {
        const left = this.unsyncedKeys.get(key)! - 1;
        if (left === 0) this.unsyncedKeys.delete(key);
        else this.unsyncedKeys.set(key, left);
      }
      for (const write of batch.writes) {
        if (this.failed) write.reject(this.failed);
        else write.resolve();
      }
    }
    this.syncedCommits = covered[covered.length - 1].commit;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].commit <= this.syncedCommits) this.waiters.splice(i, 1)[0].resolve();
    }
    if (this.unsynced.length > 0) this.syncWal();
    else if (this.checkpointHold) {
      if (this.failed) this.checkpointDone(undefined);
      else this.checkpoint();
    }
  }

  /** The WAL's descriptor, opened once; its directory entry is made durable the first time. */
  private openWal(): number {
    if (this.walFd === undefined) {
      this.walFd = openSync(`${this.path}-wal`, 'r+');
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.walFd;
  }

  /** After a failed fsync the kernel may have dropped the dirty pages; nothing later can be trusted. */
  private failClosed(): void {
    this.failed ??= new Error('storage sync failed; the sqlite backend refuses further writes');
  }

  /** The database file's descriptor, for the sync after a checkpoint. */
  private openDb(): number {
    this.dbFd ??= openSync(this.path, 'r+');
    return this.dbFd;
  }

  private modesFixed = false;
  private restrictFileModesOnce(): void {
    if (this.modesFixed) return;
    this.modesFixed = true;
    this.restrictFileModes();
  }

  async close(): Promise<void> {
    while (this.pending.length > 0 || this.flushScheduled || this.syncing || this.checkpointHold)
      await new Promise((resolve) => setImmediate(resolve));
    // Closing checkpoints the whole WAL and deletes it: that checkpoint must sync the database file.
    this.db.pragma('synchronous = FULL');
    this.db.close();
    for (const fd of [this.walFd, this.dbFd]) if (fd !== undefined) closeSync(fd);
    this.walFd = undefined;
    this.dbFd = undefined;
  }
}
