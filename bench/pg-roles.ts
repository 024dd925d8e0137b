/**
 * The PostgreSQL roles pg-creds leaves behind, if any. A timed run stops between an issue and its
 * revoke; the workload revokes what is outstanding through Coffer, then checks PostgreSQL itself.
 */
import pg from 'pg';

/** `work` on one admin connection to `url`, closed afterwards whatever happens. */
export async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The roles the bench's `bench` role creates (Vault's default username template: v-root-bench-…). */
async function bench(client: pg.Client): Promise<string[]> {
  const found = await client.query<{ rolname: string }>(
    "SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-root-bench-%'",
  );
  return found.rows.map((row) => row.rolname);
}

export const benchRoles = (url: string): Promise<Set<string>> =>
  withAdminClient(url, async (client) => new Set(await bench(client)));

/**
 * Roles created since `before` that are still there: each is a revocation Coffer missed, so the
 * workload counts it as an error. They are dropped, so the shared PostgreSQL keeps no live login.
 */
export const dropRolesLeft = (url: string, before: Set<string>): Promise<number> =>
  withAdminClient(url, async (client) => {
    const left = (await bench(client)).filter((role) => !before.has(role));
    for (const role of left) await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    return left.length;
  });
