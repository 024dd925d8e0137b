import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { startFloor } from './floors.js';
import { PG_URL } from './workloads.js';

// A floor that skipped the work it stands for would make every target look reachable: these check
// that its writes reach the file and its credentials are real PostgreSQL logins, revoked for real.

const post = (url: string, body: string) =>
  fetch(`${url}/v1/floor/write`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

test('floor fsync and group-fsync: every body is in the file before its answer; a bad JSON body is a 500', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-floor-test-'));
  try {
    const one = await startFloor('fsync', join(dir, 'one'));
    try {
      assert.equal((await post(one.url, '{"a":1}')).status, 200);
      assert.equal((await post(one.url, '{"b":2}')).status, 200);
      assert.equal(readFileSync(join(dir, 'one'), 'utf8'), '{"a":1}{"b":2}');
    } finally {
      await one.stop();
    }
    const group = await startFloor('group-fsync', join(dir, 'group'));
    try {
      const bodies = ['{"x":1}', '{"x":2}', '{"x":3}'];
      const answers = await Promise.all(bodies.map((body) => post(group.url, body)));
      assert.deepEqual(
        answers.map((res) => res.status),
        [200, 200, 200],
      );
      const written = readFileSync(join(dir, 'group'), 'utf8');
      for (const body of bodies) assert.ok(written.includes(body), `${body} was not written`);
      assert.equal((await post(group.url, 'not json')).status, 500);
    } finally {
      await group.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function logsIn(role: string): Promise<boolean> {
  const url = new URL(PG_URL);
  url.username = role;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

test('floor pg-creds: an issued role logs in to PostgreSQL, and after its revoke it no longer can', async () => {
  const prefix = `bench_floor_test_${process.pid}_`;
  const floor = await startFloor('pg-creds', PG_URL, prefix);
  let role = '';
  try {
    const issued = await fetch(`${floor.url}/v1/creds`);
    assert.equal(issued.status, 200);
    role = ((await issued.json()) as { lease_id: string }).lease_id;
    assert.ok(role.startsWith(prefix));
    assert.equal(await logsIn(role), true);
    const revoked = await fetch(`${floor.url}/v1/revoke`, {
      method: 'PUT',
      body: JSON.stringify({ lease_id: role }),
    });
    assert.equal(revoked.status, 204);
    assert.equal(await logsIn(role), false);
    // Revoking a role that is gone is an error here: the load counts it, so a floor cannot skip work.
    const again = await fetch(`${floor.url}/v1/revoke`, {
      method: 'PUT',
      body: JSON.stringify({ lease_id: role }),
    });
    assert.equal(again.status, 500);
  } finally {
    await floor.stop();
    if (role) {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
      await admin.end();
    }
  }
});
