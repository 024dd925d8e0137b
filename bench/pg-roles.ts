/**
 * The PostgreSQL roles pg-creds leaves behind, if any. A timed run stops between an issue and its
 * revoke; the workload revokes what is outstanding through Coffer, then checks PostgreSQL itself.
 */
import pg from 'pg';

/** The roles the bench's `bench` role creates (Vault's default username template: v-root-bench-…). */
export async function benchRoles(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query<{ rolname: string }>(
      "SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-root-bench-%'",
    );
    return new Set(found.rows.map((row) => row.rolname));
  } finally {
    await client.end();
  }
}

/**
 * Roles created since `before` that are still there: each is a revocation Coffer missed, so the
 * workload counts it as an error. They are dropped, so the shared PostgreSQL keeps no live login.
 */
export async function dropRolesLeft(url: string, before: Set<string>): Promise<number> {
  const left = [...(await benchRoles(url))].filter((role) => !before.has(role));
  if (left.length === 0) return 0;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const role of left) await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
  } finally {
    await client.end();
  }
  return left.length;
}
