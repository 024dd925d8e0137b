/** Checking a client out of a node-postgres pool without letting a dead connection crash the process. */
import type pg from 'pg';

/**
 * Runs `work` on a client checked out of `pool`. A connection that dies while checked out emits
 * 'error' on its client (pg-pool listens only while a client is idle); unheard, that event would crash
 * the process. The query in flight fails by itself. A client lost that way, or given up by `work`
 * through `lose` (a failed ROLLBACK), is closed instead of going back to the pool.
 */
export async function withPgClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, lose: () => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost = false;
  const lose = () => {
    lost = true;
  };
  client.on('error', lose);
  try {
    return await work(client, lose);
  } finally {
    client.off('error', lose);
    client.release(lost);
  }
}
