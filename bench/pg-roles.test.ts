import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type pg from 'pg';
import { benchRoles, dropRolesLeft, withAdminClient } from './pg-roles.js';
import { PG_URL } from './workloads.js';

const admin = <T>(work: (client: pg.Client) => Promise<T>) => withAdminClient(PG_URL, work);

const exists = (role: string) =>
  admin(
    async (client) =>
      ((await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount ?? 0) > 0,
  );

test('pg-creds: a role left after the run is counted and dropped; roles there before are not touched', async () => {
  const tag = randomBytes(6).toString('hex');
  const earlier = `v-root-bench-earlier-${tag}`;
  const leaked = `v-root-bench-leaked-${tag}`;
  const unrelated = `v-root-other-${tag}`;
  await admin((client) => client.query(`CREATE ROLE "${earlier}" LOGIN`));
  try {
    const before = await benchRoles(PG_URL);
    assert.ok(before.has(earlier));
    await admin(async (client) => {
      await client.query(`CREATE ROLE "${leaked}" LOGIN`);
      await client.query(`CREATE ROLE "${unrelated}" LOGIN`);
    });
    assert.equal(await dropRolesLeft(PG_URL, before), 1);
    assert.equal(await exists(leaked), false);
    assert.equal(await exists(earlier), true);
    assert.equal(await exists(unrelated), true);
    assert.equal(await dropRolesLeft(PG_URL, before), 0);
  } finally {
    await admin(async (client) => {
      for (const role of [earlier, leaked, unrelated]) await client.query(`DROP ROLE IF EXISTS "${role}"`);
    });
  }
});
