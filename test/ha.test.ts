/**
 * HA on PostgreSQL (SECURITY.md H1, H2, H5): two server processes on one table and one lock (TTL 3 s).
 * Exactly one is active; the standby forwards or redirects; step-down and kill -9 hand the lock over;
 * nothing acknowledged is lost, leases keep expiring, and the keyring, policies and mounts the old
 * active node wrote are served by the new one without unsealing it again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { eventually } from './helpers/eventually.js';
import { type ApiResult, removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const PG_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TTL_MS = 3000;
/** Test-only: the lock's TTL (15 s by default, as Vault's PostgreSQL lock). */
const ENV = { COFFER_HA_LOCK_TTL_MS: String(TTL_MS) };

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const healthOf = async (server: TestServer) => {
  try {
    return (await server.api('GET', 'sys/health')).status;
  } catch {
    return 0; // gone (killed)
  }
};

/** Two nodes on a fresh table: the first initialised and active, the second unsealed with its keys, standing by. */
async function startPair(): Promise<[TestServer, TestServer]> {
  const table = `coffer_ha_${process.pid}_${Date.now()}`;
  const storageOptions = { connection_url: PG_URL, table, ha_enabled: 'true', ha_table: `${table}_lock` };
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS "${table}", "${table}_lock"`);
    await client.end();
  });
  const first = await startTestServer({ storage: 'postgresql', storageOptions, env: ENV });
  cleanups.push(async () => {
    await first.stop();
    await removeServerDir(first);
  });
  await eventually(async () => (await healthOf(first)) === 200, 10_000, 'the first node active');
  const second = await startTestServer({ storage: 'postgresql', storageOptions, env: ENV, join: first });
  cleanups.push(async () => {
    await second.stop();
    await removeServerDir(second);
  });
  await eventually(async () => (await healthOf(second)) === 429, 10_000, 'the second node standing by');
  return [first, second];
}

const ok = (result: ApiResult, status = 200) => assert.equal(result.status, status, result.text);

test('H1: one active node; the standby forwards, or redirects on request; step-down hands the lock over', async () => {
  const [first, second] = await startPair();
  const root = first.rootToken;
  assert.equal((await second.api('GET', 'sys/health?standbyok=true')).status, 200);
  const leader = (await second.api('GET', 'sys/leader')).body;
  assert.deepEqual([leader.ha_enabled, leader.is_self, leader.leader_address], [true, false, first.address]);
  ok(await second.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, root), 204);
  ok(await second.api('POST', 'kv/data/via-standby', { data: { v: 'forwarded' } }, root));
  assert.equal(
    (await first.api('GET', 'kv/data/via-standby', undefined, root)).body.data.data.v,
    'forwarded',
  );
  const redirect = await fetch(`${second.address}/v1/kv/data/via-standby`, {
    headers: { 'X-Vault-Token': root, 'X-Vault-No-Request-Forwarding': 'true' },
    redirect: 'manual',
  });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.get('location'), `${first.address}/v1/kv/data/via-standby`);

  // Step-down with writes in flight: each gets an answer, and each acknowledged one is kept.
  const writes = Array.from({ length: 20 }, (_, i) =>
    first.api('POST', `kv/data/during-step-down/${i}`, { data: { i } }, root).catch(() => undefined),
  );
  ok(await first.api('PUT', 'sys/step-down', undefined, root), 204);
  const answers = await Promise.all(writes);
  // Each is answered: served (200), refused while the node drains (503, standby), or, in the second
  // before the other node holds the lock, Vault's 500 "active cluster node not found"; never a reset.
  const statuses = answers.map((answer) => answer?.status ?? 0);
  assert.ok(
    statuses.every((status) => [200, 500, 503].includes(status)),
    String(statuses),
  );
  for (const answer of answers)
    if (answer && answer.status !== 200) assert.match(answer.text, /standby|active cluster node not found/);
  await eventually(async () => (await healthOf(second)) === 200, 10_000, 'the second node active');
  assert.equal(await healthOf(first), 429);
  for (const [i, answer] of answers.entries())
    if (answer?.status === 200)
      assert.equal(
        (await second.api('GET', `kv/data/during-step-down/${i}`, undefined, root)).body.data.data.i,
        i,
      );
  // The old active node now forwards to the new one.
  ok(await first.api('POST', 'kv/data/after', { data: { v: 1 } }, root));
  assert.equal((await second.api('GET', 'kv/data/after', undefined, root)).body.data.data.v, 1);
});

test('H2: kill -9 under writes; the standby takes over within TTL + retry, loses nothing acknowledged, and expires leases', async () => {
  const [first, second] = await startPair();
  const root = first.rootToken;
  ok(await first.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, root), 204);
  // A token lease that ends after the failover, on the node that takes over.
  const short = await first.api('POST', 'auth/token/create', { ttl: '10s', policies: ['default'] }, root);
  ok(short);
  const acknowledged: number[] = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      // Through the standby, then (once it is active) to it directly: the way a client behind a load
      // balancer keeps writing.
      const answer = await second
        .api('POST', `kv/data/load/${i}`, { data: { i } }, root)
        .catch(() => undefined);
      if (answer?.status === 200) acknowledged.push(i);
    }
  })();
  await eventually(async () => acknowledged.length >= 20, 10_000, 'writes acknowledged before the kill');
  await first.kill9();
  const killedAt = Date.now();
  await eventually(async () => (await healthOf(second)) === 200, 15_000, 'the standby active');
  const failoverMs = Date.now() - killedAt;
  const before = acknowledged.length;
  await eventually(async () => acknowledged.length >= before + 20, 10_000, 'writes acknowledged after');
  writing = false;
  await writer;
  assert.ok(failoverMs < TTL_MS + 1000 + 2000, `failover took ${failoverMs} ms`);
  for (const i of acknowledged)
    assert.equal((await second.api('GET', `kv/data/load/${i}`, undefined, root)).body?.data?.data?.i, i);
  // The new active node's expiration manager revokes the token when it ends: its accessor goes.
  const accessors = async () =>
    ((await second.api('LIST', 'auth/token/accessors', undefined, root)).body?.data?.keys ?? []) as string[];
  const accessor = short.body.auth.accessor as string;
  assert.ok((await accessors()).includes(accessor));
  await eventually(async () => !(await accessors()).includes(accessor), 15_000, 'the token revoked');
  assert.equal(
    (await second.api('GET', 'auth/token/lookup-self', undefined, short.body.auth.client_token)).status,
    403,
  );
});

test('H5: the new active node serves the rotated keyring, the policy and the mount without being unsealed again', async () => {
  const [first, second] = await startPair();
  const root = first.rootToken;
  ok(await first.api('PUT', 'sys/rotate', undefined, root), 204);
  ok(
    await first.api(
      'PUT',
      'sys/policies/acl/h5',
      { policy: 'path "h5kv/*" { capabilities = ["read"] }' },
      root,
    ),
    204,
  );
  ok(await first.api('POST', 'sys/mounts/h5kv', { type: 'kv', options: { version: '2' } }, root), 204);
  ok(await first.api('POST', 'h5kv/data/app', { data: { password: 'written-under-term-2' } }, root));
  await first.kill9();
  await eventually(async () => (await healthOf(second)) === 200, 15_000, 'the standby active');
  assert.equal((await second.api('GET', 'sys/key-status', undefined, root)).body.data.term, 2);
  assert.match((await second.api('GET', 'sys/policies/acl/h5', undefined, root)).body.data.policy, /h5kv/);
  assert.equal(
    (await second.api('GET', 'h5kv/data/app', undefined, root)).body.data.data.password,
    'written-under-term-2',
  );
  // New writes go under term 2 as well, and read back.
  ok(await second.api('POST', 'h5kv/data/next', { data: { v: 2 } }, root));
  assert.equal((await second.api('GET', 'h5kv/data/next', undefined, root)).body.data.data.v, 2);
});
