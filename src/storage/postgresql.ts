/** PostgreSQL storage for production and HA: one table of (parent, name, value) byte strings. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { invalid } from '../core/errors.js';
import type { NamePage, StorageBackend, TxOp } from './backend.js';
import { FencedWriteError, type HaBackend, type HaLeader, type HaLock, type HaLockOptions } from './ha.js';
import { splitKey, upperBound } from './key-split.js';
import { compareCodePoints } from './list.js';
import { validateFolder, validateKey, validateOps } from './validate-key.js';

export interface PostgresqlOptions {
  connectionUrl: string;
  table?: string;
  maxConnections?: number;
  /** Vault's `ha_enabled`: this backend can hold the HA lock, and fences its writes while it does. */
  haEnabled?: boolean;
  /** Vault's `ha_table` (its default `vault_ha_locks`): the table the lock's row is kept in. */
  haTable?: string;
}

/** The lock's row in the HA table, as Vault's is (`core/lock`). */
const HA_KEY = 'core/lock';

/** A table name is interpolated into SQL, so only plain identifiers are allowed. */
function quoteTable(table: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/i.test(table)) throw invalid('postgresql: invalid table name');
  return `"${table}"`;
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
  /** True only with `ha_enabled`: what `isHaBackend` reads. */
  readonly haEnabled: boolean;
  /** The quoted HA table when `haEnabled`. */
  private readonly haTable: string | undefined;
  private lock: PostgresqlHaLock | undefined;
  /**
   * Set by the first successful `tryAcquire` and never cleared: from then on every write carries the
   * fence (see `write`) and commits only while this node holds the lock. A node that lost the lock,
   * or released it, has its writes refused; only a node that never held it (`sys/init`) writes unfenced.
   */
  private fence: { identity: string; nodeId: string } | undefined;
  /** Reads waiting for this turn's query (see `get`), by key. */
  private reads = new Map<string, ReadWaiter[]>();
  private readScheduled = false;
  /** Transactions waiting for this turn's statement (see `transaction`). */
  private queued: QueuedWrite[] = [];
  private flushScheduled = false;
  /** Queries sent and not yet answered, reads and writes: close() waits for them. */
  private inFlight = 0;

  private constructor(options: PostgresqlOptions) {
    this.table = quoteTable(options.table ?? 'coffer_store');
    this.haEnabled = options.haEnabled === true;
    if (this.haEnabled) this.haTable = quoteTable(options.haTable ?? 'coffer_ha_locks');
    this.pool = new pg.Pool({ connectionString: options.connectionUrl, max: options.maxConnections ?? 16 });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** A backend; with `haEnabled`, one that is an `HaBackend` (`isHaBackend`), and without, one that is not. */
  static async open(options: PostgresqlOptions & { haEnabled: true }): Promise<PostgresqlBackend & HaBackend>;
  static async open(options: PostgresqlOptions): Promise<PostgresqlBackend>;
  static async open(options: PostgresqlOptions): Promise<PostgresqlBackend> {
    const backend = new PostgresqlBackend(options);
    await backend.pool.query(
      `CREATE TABLE IF NOT EXISTS ${backend.table} (parent BYTEA NOT NULL, name BYTEA NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (parent, name))`,
    );
    if (backend.haTable === undefined) return backend;
    // The lock's holder, by a random identity of its lock (as Vault's `ha_identity`) so that two
    // nodes configured with one node ID still cannot both hold it, and its expiry by the database's clock.
    await backend.pool.query(
      `CREATE TABLE IF NOT EXISTS ${backend.haTable} (ha_key TEXT PRIMARY KEY, ha_identity TEXT NOT NULL, node_id TEXT NOT NULL, api_addr TEXT NOT NULL, cluster_addr TEXT NOT NULL, valid_until TIMESTAMPTZ NOT NULL)`,
    );
    // Each row records the node whose fenced write last set it (SECURITY.md H3). Checked first: ALTER
    // TABLE takes the table's exclusive lock even when the column is there, and the other nodes write.
    const writer = await backend.pool.query(
      `SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'writer' AND NOT attisdropped`,
      [backend.table],
    );
    if (writer.rowCount === 0)
      await backend.pool.query(`ALTER TABLE ${backend.table} ADD COLUMN IF NOT EXISTS writer TEXT`);
    return backend;
  }

  /** This node's HA lock (only on a backend opened with `haEnabled`, which `isHaBackend` tells). */
  haLock(options: HaLockOptions): HaLock {
    if (this.haTable === undefined) throw new Error('postgresql: ha_enabled is not set');
    if (this.lock) {
      if (this.lock.nodeId !== options.nodeId)
        throw new Error('postgresql: this backend already has an HA lock');
      return this.lock;
    }
    if (!Number.isInteger(options.ttlMs) || options.ttlMs <= 0)
      throw invalid('postgresql: the HA lock TTL must be a positive whole number of milliseconds');
    this.lock = new PostgresqlHaLock(this.pool, this.haTable, options, (fence) => {
      this.fence = fence;
    });
    return this.lock;
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
      // A fenced statement is refused for all its transactions alike: alone, each would be too.
      if (batch.length === 1 || error instanceof FencedWriteError)
        for (const queued of batch) queued.reject(error);
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
    const fence = this.fence;
    if (fence) return this.writeFenced(fence, puts, deletes);
    // Without HA, as before; with it, an unfenced write (before the lock was first taken: `sys/init`)
    // records no writer.
    const writer = this.haTable === undefined ? '' : ', writer = NULL';
    const upsert = `INSERT INTO ${this.table} (parent, name, value) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]) ON CONFLICT (parent, name) DO UPDATE SET value = EXCLUDED.value${writer}`;
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

  /**
   * The same statement, made conditional on the fence: its first step locks the HA row FOR SHARE if
   * it is this lock's and unexpired by the database's clock at that moment, and the deletes and the
   * upsert change nothing unless it did. A takeover (an UPDATE of that row) or a release (its DELETE)
   * waits for a write holding the row and then finds it as that write left it; a write that comes
   * after either finds no row of its own and writes nothing. The statement answers whether the fence
   * held, which tells "fenced" from "nothing to change". Still one round trip and one commit.
   */
  private async writeFenced(
    fence: { identity: string; nodeId: string },
    puts: [Buffer[], Buffer[], Buffer[]],
    deletes: [Buffer[], Buffer[]],
  ): Promise<void> {
    const held = 'EXISTS (SELECT 1 FROM fence)';
    const result = await this.pool.query({
      name: 'coffer-store-write-fenced',
      text: `WITH fence AS MATERIALIZED (
          SELECT 1 FROM ${this.haTable} WHERE ha_key = $1 AND ha_identity = $2 AND valid_until > clock_timestamp() FOR SHARE),
        removed AS (
          DELETE FROM ${this.table} WHERE ${held} AND (parent, name) IN (SELECT * FROM unnest($7::bytea[], $8::bytea[]))),
        written AS (
          INSERT INTO ${this.table} (parent, name, value, writer)
            SELECT parent, name, value, $3::text FROM unnest($4::bytea[], $5::bytea[], $6::bytea[]) AS put(parent, name, value) WHERE ${held}
            ON CONFLICT (parent, name) DO UPDATE SET value = EXCLUDED.value, writer = EXCLUDED.writer)
        SELECT ${held} AS held`,
      values: [HA_KEY, fence.identity, fence.nodeId, ...puts, ...deletes],
    });
    if (result.rows[0]?.held !== true) {
      this.lock?.options.onFenced?.();
      throw new FencedWriteError();
    }
  }

  /** Drops the table (and the HA table); used by tests that create them per run. */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.table}`);
    if (this.haTable !== undefined) await this.pool.query(`DROP TABLE IF EXISTS ${this.haTable}`);
  }

  async close(): Promise<void> {
    while (this.queued.length > 0 || this.flushScheduled || this.inFlight > 0 || this.readScheduled)
      await new Promise((resolve) => setImmediate(resolve));
    await this.pool.end();
  }
}

/**
 * The HA lock: one row of the HA table, held until `valid_until`. Every check of validity compares
 * with the database's clock (`clock_timestamp()`, the moment the row is looked at, where `NOW()`
 * would be its statement's start), and an expiry is the database's clock plus the TTL, so a node's
 * own clock never counts (SECURITY.md H4). As Vault's PostgreSQL lock: a 15 s TTL, renewed every
 * 5 s and retried every second by the caller. Each statement is one row's atomic change: two nodes
 * taking it at once are serialised by the row (or its key's uniqueness), and exactly one wins.
 */
class PostgresqlHaLock implements HaLock {
  readonly nodeId: string;
  /** This lock's own identity in the row: one per lock object, as Vault's `ha_identity` is. */
  private readonly identity = randomUUID();
  readonly options: HaLockOptions;

  constructor(
    private readonly pool: pg.Pool,
    private readonly haTable: string,
    options: HaLockOptions,
    private readonly setFence: (fence: { identity: string; nodeId: string }) => void,
  ) {
    this.nodeId = options.nodeId;
    this.options = options;
  }

  async tryAcquire(): Promise<boolean> {
    // Inserted if there is no row; else taken over if lapsed (or already this lock's). A concurrent
    // insert of the same key makes this one wait and then take the ON CONFLICT branch, whose WHERE
    // is evaluated on the row as the winner left it.
    const result = await this.pool.query({
      name: 'coffer-ha-acquire',
      text: `INSERT INTO ${this.haTable} AS lock (ha_key, ha_identity, node_id, api_addr, cluster_addr, valid_until)
        VALUES ($1, $2, $3, $4, $5, clock_timestamp() + $6::double precision * INTERVAL '1 millisecond')
        ON CONFLICT (ha_key) DO UPDATE SET ha_identity = EXCLUDED.ha_identity, node_id = EXCLUDED.node_id,
          api_addr = EXCLUDED.api_addr, cluster_addr = EXCLUDED.cluster_addr, valid_until = clock_timestamp() + $6::double precision * INTERVAL '1 millisecond'
        WHERE lock.valid_until <= clock_timestamp() OR lock.ha_identity = $2
        RETURNING 1`,
      values: [
        HA_KEY,
        this.identity,
        this.options.nodeId,
        this.options.apiAddr,
        this.options.clusterAddr ?? '',
        this.options.ttlMs,
      ],
    });
    const held = result.rowCount === 1;
    if (held) this.setFence({ identity: this.identity, nodeId: this.options.nodeId });
    return held;
  }

  async renew(): Promise<boolean> {
    // Only a hold that is still this lock's and unexpired: a lapsed one may have been seen free by
    // another node, which a renewal must not undo (where Vault's upsert would take it back).
    const result = await this.pool.query({
      name: 'coffer-ha-renew',
      text: `UPDATE ${this.haTable} SET valid_until = clock_timestamp() + $3::double precision * INTERVAL '1 millisecond'
        WHERE ha_key = $1 AND ha_identity = $2 AND valid_until > clock_timestamp()`,
      values: [HA_KEY, this.identity, this.options.ttlMs],
    });
    return result.rowCount === 1;
  }

  async release(): Promise<void> {
    // Waits for this node's writes that hold the row. The fence stays: a node that has held the lock
    // never writes unfenced again, so a straggler of its active days is refused, not committed.
    await this.pool.query({
      name: 'coffer-ha-release',
      text: `DELETE FROM ${this.haTable} WHERE ha_key = $1 AND ha_identity = $2`,
      values: [HA_KEY, this.identity],
    });
  }

  async leader(): Promise<HaLeader | undefined> {
    const result = await this.pool.query({
      name: 'coffer-ha-leader',
      text: `SELECT node_id, api_addr, cluster_addr FROM ${this.haTable} WHERE ha_key = $1 AND valid_until > clock_timestamp()`,
      values: [HA_KEY],
    });
    const row = result.rows[0] as { node_id: string; api_addr: string; cluster_addr: string } | undefined;
    return row && { nodeId: row.node_id, apiAddr: row.api_addr, clusterAddr: row.cluster_addr };
  }
}
