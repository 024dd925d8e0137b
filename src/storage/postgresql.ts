/** PostgreSQL storage for production and HA: one table of (parent, name, value) byte strings. */
import pg from 'pg';
import { invalid } from '../core/errors.js';
import type { StorageBackend, TxOp } from './backend.js';
import { childFolder, splitKey, upperBound } from './key-split.js';
import { compareCodePoints } from './list.js';
import { withPgClient } from './pg-client.js';
import { validateKey, validateOps } from './validate-key.js';

export interface PostgresqlOptions {
  connectionUrl: string;
  table?: string;
  maxConnections?: number;
}

export class PostgresqlBackend implements StorageBackend {
  readonly type = 'postgresql';
  private readonly pool: pg.Pool;
  private readonly table: string;

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

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    const { parent, name } = splitKey(key);
    const result = await this.pool.query(`SELECT value FROM ${this.table} WHERE parent = $1 AND name = $2`, [
      parent,
      name,
    ]);
    return result.rows[0] ? new Uint8Array(result.rows[0].value) : undefined;
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    const base = Buffer.from(prefix, 'utf8');
    const leaves = await this.pool.query(`SELECT name FROM ${this.table} WHERE parent = $1`, [base]);
    const children = leaves.rows.map((row) => (row.name as Buffer).toString('utf8'));
    const end = upperBound(base);
    let from: Buffer = base;
    for (;;) {
      const next = await this.pool.query(
        `SELECT parent FROM ${this.table} WHERE parent > $1 AND parent < $2 ORDER BY parent LIMIT 1`,
        [from, end],
      );
      if (!next.rows[0]) break;
      const folder = childFolder(base, next.rows[0].parent as Buffer);
      children.push(folder.subarray(base.length).toString('utf8'));
      from = upperBound(folder);
    }
    return children.sort(compareCodePoints);
  }

  async transaction(ops: TxOp[]): Promise<void> {
    validateOps(ops);
    await withPgClient(this.pool, async (client, lose) => {
      try {
        await client.query('BEGIN');
        for (const op of ops) {
          const { parent, name } = splitKey(op.key);
          if (op.op === 'put') {
            await client.query(
              `INSERT INTO ${this.table} (parent, name, value) VALUES ($1, $2, $3) ON CONFLICT (parent, name) DO UPDATE SET value = EXCLUDED.value`,
              [parent, name, Buffer.from(op.value)],
            );
          } else {
            await client.query(`DELETE FROM ${this.table} WHERE parent = $1 AND name = $2`, [parent, name]);
          }
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(lose);
        throw error;
      }
    });
  }

  /** Drops the table; used by tests that create one per run. */
  async drop(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.table}`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
