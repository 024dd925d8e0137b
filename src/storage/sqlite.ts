/**
 * The embedded default: one SQLite file in WAL mode with synchronous=FULL, so an acknowledged write
 * survives kill -9 and power loss. Writes issued in the same event-loop turn share one commit
 * (group commit): one fsync for many requests.
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { StorageBackend, TxOp } from './backend.js';
import { childFolder, splitKey, upperBound } from './key-split.js';
import { compareCodePoints } from './list.js';
import { validateKey, validateOps } from './validate-key.js';

interface PendingWrite {
  ops: TxOp[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SqliteBackend implements StorageBackend {
  readonly type = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;

  constructor(readonly path: string) {
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS entries (
      parent BLOB NOT NULL, name BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (parent, name)) WITHOUT ROWID`);
    this.restrictFileModes();
    this.statements = {
      get: this.db.prepare('SELECT value FROM entries WHERE parent = ? AND name = ?').pluck(),
      put: this.db.prepare('INSERT OR REPLACE INTO entries (parent, name, value) VALUES (?, ?, ?)'),
      delete: this.db.prepare('DELETE FROM entries WHERE parent = ? AND name = ?'),
      leaves: this.db.prepare('SELECT name FROM entries WHERE parent = ?').pluck(),
      nextFolder: this.db
        .prepare('SELECT parent FROM entries WHERE parent > ? AND parent < ? ORDER BY parent LIMIT 1')
        .pluck(),
    };
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
    return value && new Uint8Array(value);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    const base = Buffer.from(prefix, 'utf8');
    const children = (this.statements.leaves.all(base) as Buffer[]).map((name) => name.toString('utf8'));
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

  /** Commits every write queued since the last flush in one SQLite transaction (one fsync). */
  private flush(): void {
    this.flushScheduled = false;
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
      for (const write of batch) write.resolve();
    } catch (error) {
      for (const write of batch) write.reject(error);
    }
    this.restrictFileModesOnce();
  }

  private modesFixed = false;
  private restrictFileModesOnce(): void {
    if (this.modesFixed) return;
    this.modesFixed = true;
    this.restrictFileModes();
  }

  async close(): Promise<void> {
    while (this.pending.length > 0 || this.flushScheduled)
      await new Promise((resolve) => setImmediate(resolve));
    this.db.close();
  }
}
