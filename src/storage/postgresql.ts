/** PostgreSQL storage for production and HA: one table of (parent, name, value) byte strings. */
import pg from 'pg';
import { invalid } from '../core/errors.js';
import type { NamePage, StorageBackend, TxOp } from './backend.js';
import { splitKey, upperBound } from './key-split.js';
import { compareCodePoints } from './list.js';
import { validateFolder, validateKey, validateOps } from './validate-key.js';

export interface PostgresqlOptions {
  connectionUrl: string;
  table?: string;
  maxConnections?: number;
}

interface QueuedWrite {
  ops: TxOp[];
  /** The bytes of its values, for the batch bound. */
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface ReadWaiter {
  resolve: (value: Uint8Array | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * The longest key this backend takes: a key's (parent, name) pair is its table's primary key, and a
 * b-tree entry may be at most 2,704 bytes with PostgreSQL's 8 KB pages. 2,704 less the entry's
 * 8-byte header, two 4-byte length words, up to 3 bytes aligning the second and 7 rounding the entry
 * up to 8: 2,678. Longer keys were refused by PostgreSQL itself (a 500); now with a clear 400, and
 * before any of a transaction is sent.
 */
export const POSTGRESQL_MAX_KEY_BYTES = 2678;

/** Keys read by one query. */
const BATCH_READS = 1000;
/** A statement's bounds: arrays of a few thousand elements, and not much more than a few large values. */
const BATCH_OPS = 2000;
const BATCH_BYTES = 4 << 20;

export class PostgresqlBackend implements StorageBackend {
  readonly type = 'postgresql';
  private readonly pool: pg.Pool;
  private readonly table: string;
  /** Reads waiting for this turn's query (see `get`), by key. */
  private reads = new Map<string, ReadWaiter[]>();
  private readScheduled = false;
  /** Transactions waiting for this turn's statement (see `transaction`). */
  private queued: QueuedWrite[] = [];
  private flushScheduled = false;
  /** Queries sent and not yet answered, reads and writes: close() waits for them. */
  private inFlight = 0;

  private constructor(options: PostgresqlOptions) {
    const table = options.table ?? 'coffer_store';
    // The name is interpolated into SQL, so only plain identifiers are allowed.
    if (!/^[a-z_][a-z0-9_]{0,62}$/i.test(table)) throw invalid('postgresql: invalid table name');
    this.table = `"${table}"`;
    this.pool = new pg.Pool({ connectionString: options.connectionUrl, max: options.maxConnections ?? 16 });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  static async open(options: PostgresqlOptions): Promise<PostgresqlBackend> {
    const backend = new PostgresqlBackend(options);
    await backend.pool.query(
      `CREATE TABLE IF NOT EXISTS ${backend.table} (parent BYTEA NOT NULL, name BYTEA NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (parent, name))`,
    );
    return backend;
  }

  /**
   * Reads asked for in one event-loop turn go out as one query (the read side of the group commit
   * below): 64 lease revocations at once each read their lease, a round trip apiece over the pool's
   * 16 connections. A key asked for twice is read once; each caller gets its own copy.
   */
  get(key: string): Promise<Uint8Array | undefined> {
    try {
      validateKey(key, POSTGRESQL_MAX_KEY_BYTES);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const waiters = this.reads.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.reads.set(key, [{ resolve, reject }]);
      if (!this.readScheduled) {
        this.readScheduled = true;
        setImmediate(() => this.flushReads());
      }
    });
  }

  private flushReads(): void {
    this.readScheduled = false;
    const keys = [...this.reads];
    this.reads = new Map();
    for (let at = 0; at < keys.length; at += BATCH_READS)
      void this.readMany(keys.slice(at, at + BATCH_READS));
  }

  private async readMany(batch: [string, ReadWaiter[]][]): Promise<void> {
    const found = new Map<string, Buffer>();
    this.inFlight++;
    try {
      if (batch.length === 1) {
        const { parent, name } = splitKey(batch[0][0]);
        const result = await this.pool.query({
          name: 'coffer-store-get',
          text: `SELECT value FROM ${this.table} WHERE parent = $1 AND name = $2`,
          values: [parent, name],
        });
        if (result.rows[0]) found.set(batch[0][0], result.rows[0].value as Buffer);
      } else {
        const parents: Buffer[] = [];
        const names: Buffer[] = [];
        for (const [key] of batch) {
          const { parent, name } = splitKey(key);
          parents.push(parent);
          names.push(name);
        }
        const result = await this.pool.query({
          name: 'coffer-store-get-many',
          text: `SELECT parent, name, value FROM ${this.table} WHERE (parent, name) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))`,
          values: [parents, names],
        });
        for (const row of result.rows as { parent: Buffer; name: Buffer; value: Buffer }[])
          found.set(row.parent.toString('utf8') + row.name.toString('utf8'), row.value);
      }
    } catch (error) {
      for (const [, waiters] of batch) for (const waiter of waiters) waiter.reject(error);
      return;
    } finally {
      this.inFlight--;
    }
    for (const [key, waiters] of batch) {
      const value = found.get(key);
      for (const waiter of waiters) waiter.resolve(value && new Uint8Array(value));
    }
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  /**
   * A folder's leaves and child folders in one round trip. The child folders come from a skip scan
   * in a recursive query: from the first key below the folder, cut its parent to the child folder,
   * then jump past everything under that child (`|| 0xFF`, a byte UTF-8 never contains) to the next.
   * Done from here it was a query per child folder.
   */
  async list(prefix: string): Promise<string[]> {
    const base = Buffer.from(prefix, 'utf8');
    // The child folder of $1 that holds `parent`: up to and including the next "/" after $1.
    const child = (parent: string) =>
      `substring(${parent} FROM 1 FOR length($1::bytea) + position('\\x2f'::bytea IN substring(${parent} FROM length($1::bytea) + 1)))`;
    const result = await this.pool.query({
      name: 'coffer-store-list',
      text: `WITH RECURSIVE folders(folder) AS (
          SELECT (SELECT ${child('parent')} FROM ${this.table} WHERE parent > $1 AND parent < $2 ORDER BY parent LIMIT 1)
          UNION ALL
          SELECT (SELECT ${child('parent')} FROM ${this.table}
                   WHERE parent > folders.folder || '\\xff'::bytea AND parent < $2 ORDER BY parent LIMIT 1)
            FROM folders WHERE folders.folder IS NOT NULL)
        SELECT name AS child, false AS folder FROM ${this.table} WHERE parent = $1
        UNION ALL
        SELECT folder, true FROM folders WHERE folder IS NOT NULL`,
      values: [base, upperBound(base)],
    });
    const children = (result.rows as { child: Buffer; folder: boolean }[]).map((row) =>
      (row.folder ? row.child.subarray(base.length) : row.child).toString('utf8'),
    );
    return children.sort(compareCodePoints);
  }

  /** Whether any key starts with `prefix` (a folder ending in "/"): one index probe, where list walks every folder. */
  async hasAnyUnder(prefix: string): Promise<boolean> {
    validateFolder(prefix, 'probed prefix', false, POSTGRESQL_MAX_KEY_BYTES);
    const base = Buffer.from(prefix, 'utf8');
    const found = await this.pool.query({
      name: 'coffer-store-any-under',
      text: `SELECT 1 FROM ${this.table} WHERE parent >= $1 AND parent < $2 LIMIT 1`,
      values: [base, upperBound(base)],
    });
    return (found.rowCount ?? 0) > 0;
  }

  /** A page of `folder`'s leaf names from the primary key's index, without their values (unseal's due index). */
  async scanNames(folder: string, after: string | undefined, limit: number): Promise<NamePage> {
    validateFolder(folder, 'scanned folder', true, POSTGRESQL_MAX_KEY_BYTES);
    const rows = await this.pool.query({
      name: 'coffer-store-scan-names',
      text: `SELECT name FROM ${this.table} WHERE parent = $1 AND name > $2 ORDER BY name LIMIT $3`,
      values: [Buffer.from(folder, 'utf8'), Buffer.from(after ?? '', 'utf8'), limit],
    });
    const names = rows.rows.map((row) => (row.name as Buffer).toString('utf8'));
    return { names, next: names.length === limit ? names[names.length - 1] : undefined };
  }

  /**
   * Group commit: the transactions asked for in one event-loop turn are written by one statement
   * (see `write`), applied in the order they were asked for, as if one after the other. At 64
   * connections a statement per transaction was one PostgreSQL commit each, over the pool's 16
   * connections. If a shared statement fails, each of its transactions is tried again alone, so one
   * transaction's failure is its own.
   */
  transaction(ops: TxOp[]): Promise<void> {
    try {
      validateOps(ops, POSTGRESQL_MAX_KEY_BYTES);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      let bytes = 0;
      // Copied now: the caller may reuse its buffers before the statement is sent.
      const own = ops.map((op) => {
        if (op.op !== 'put') return op;
        bytes += op.value.byteLength;
        return { ...op, value: Buffer.from(op.value) };
      });
      this.queued.push({ ops: own, bytes, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued, in statements of at most BATCH_OPS operations or BATCH_BYTES of values. */
  private flush(): void {
    this.flushScheduled = false;
    while (this.queued.length > 0) {
      let count = 0;
      let ops = 0;
      let bytes = 0;
      while (count < this.queued.length && (count === 0 || (ops < BATCH_OPS && bytes < BATCH_BYTES))) {
        ops += this.queued[count].ops.length;
        bytes += this.queued[count].bytes;
        count++;
      }
      void this.commit(this.queued.splice(0, count));
    }
  }

  private async commit(batch: QueuedWrite[]): Promise<void> {
    this.inFlight++;
    try {
      await this.write(batch.flatMap((queued) => queued.ops));
      for (const queued of batch) queued.resolve();
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else
        await Promise.all(batch.map((queued) => this.write(queued.ops).then(queued.resolve, queued.reject)));
    } finally {
      this.inFlight--;
    }
  }

  /**
   * One statement, so one round trip and one commit however many keys: the deletes in a CTE beside
   * an upsert of all the puts, each side fed by arrays (`unnest`). A statement is atomic on its own.
   * Only the last op on a key counts (as it would applied in order), which also keeps the two sides
   * on different rows: one statement may not change a row twice.
   */
  private async write(ops: TxOp[]): Promise<void> {
    const last = new Map<string, TxOp>();
    for (const op of ops) {
      last.delete(op.key); // re-inserted: the map keeps the order of each key's last op
      last.set(op.key, op);
    }
    if (last.size === 0) return;
    const puts: [Buffer[], Buffer[], Buffer[]] = [[], [], []];
    const deletes: [Buffer[], Buffer[]] = [[], []];
    for (const op of last.values()) {
      const { parent, name } = splitKey(op.key);
      if (op.op === 'put') {
        puts[0].push(parent);
        puts[1].push(name);
        puts[2].push(op.value as Buffer);
      } else {
        deletes[0].push(parent);
        deletes[1].push(name);
      }
    }
    const upsert = `INSERT INTO ${this.table} (parent, name, value) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]) ON CONFLICT (parent, name) DO UPDATE SET value = EXCLUDED.value`;
    const remove = (first: number) =>
      `DELETE FROM ${this.table} WHERE (parent, name) IN (SELECT * FROM unnest($${first}::bytea[], $${first + 1}::bytea[]))`;
    // Named, so each connection parses and plans each shape once. Names are per connection, and
    // this backend's pool is its own, so they cannot meet another table's.
    if (deletes[0].length === 0)
      await this.pool.query({ name: 'coffer-store-put', text: upsert, values: puts });
    else if (puts[0].length === 0)
      await this.pool.query({ name: 'coffer-store-delete', text: remove(1), values: deletes });
    else
      await this.pool.query({
        name: 'coffer-store-put-delete',
        text: `WITH removed AS (${remove(4)}) ${upsert}`,
        values: [...puts, ...deletes],
      });
  }

  /** Drops the table; used by tests that create one per run. */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.table}`);
  }

  async close(): Promise<void> {
    while (this.queued.length > 0 || this.flushScheduled || this.inFlight > 0 || this.readScheduled)
      await new Promise((resolve) => setImmediate(resolve));
    await this.pool.end();
  }
}
