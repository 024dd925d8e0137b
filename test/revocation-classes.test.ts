/**
 * SECURITY.md I3, classifying revocation results, end to end against a scram PostgreSQL cluster:
 * a user already dropped by hand counts as revoked (no retries, nothing irrevocable: Vault #3410),
 * while a permission error never counts as success (the 0.5.3 lesson): the lease stays, is retried
 * with backoff, and once the permission is back the retry drops the user for real.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { eventually } from './helpers/eventually.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
/** Vault #3410's shape: custom revocation statements that fail on a role that no longer exists. */
const CUSTOM_REVOKE = `ALTER ROLE "{{name}}" NOLOGIN; DROP ROLE "{{name}}";`;

interface Creds {
  lease_id: string;
  data: { username: string; password: string };
}

describe('I3: classifying revocation results (PostgreSQL)', () => {
  let cluster: ScramCluster;
  let server: TestServer;
  let root: string;
  const suffix = randomBytes(4).toString('hex');
  /** A non-superuser admin: CREATEROLE is all it needs to create and drop the generated users. */
  const limited = {
    username: `coffer_i3_limited_${suffix}`,
    password: `Lim1ted-${randomBytes(12).toString('hex')}`,
  };
  const secrets: string[] = [limited.password];
  const bodies: string[] = [];

  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await server.api('POST', path, body, root);
    assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
  };
  const issue = async (role: string): Promise<Creds> => {
    const res = await server.api('GET', `database/creds/${role}`, undefined, root);
    assert.equal(res.status, 200, res.text);
    secrets.push(res.body.data.password);
    return res.body;
  };
  const lookup = (leaseId: string) => server.api('PUT', 'sys/leases/lookup', { lease_id: leaseId }, root);
  /** The server's "will retry" log lines about one lease, as their JSON fields. */
  const retries = (leaseId: string) =>
    server
      .output()
      .split('\n')
      .filter((line) => line.includes('lease revocation failed') && line.includes(leaseId))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { attempts: number; retry_in_ms: number });
  const irrevocable = async () => {
    const res = await server.api('GET', 'sys/leases?type=irrevocable', undefined, root);
    assert.equal(res.status, 200, res.text);
    return (res.body.data.leases as { lease_id: string }[]).map((lease) => lease.lease_id);
  };
  const dropByHand = (username: string) => cluster.query(`DROP ROLE ${pg.escapeIdentifier(username)}`);

  before(async () => {
    cluster = await startScramCluster();
    const admin = await cluster.createAdmin('coffer_i3');
    secrets.push(admin.password);
    await cluster.query(
      `CREATE ROLE ${pg.escapeIdentifier(limited.username)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(limited.password)}`,
    );
    server = await startTestServer({ storage: 'sqlite' });
    root = server.rootToken;
    await write('sys/mounts/database', { type: 'database' });
    const connection = (user: { username: string; password: string }, allowed: string[]) => ({
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${cluster.port}/postgres`,
      username: user.username,
      password: user.password,
      allowed_roles: allowed,
    });
    await write('database/config/pg', connection(admin, ['gone', 'gonecustom']));
    await write('database/config/limited', connection(limited, ['limited']));
    await write('database/roles/gone', { db_name: 'pg', creation_statements: [CREATE], default_ttl: '5s' });
    await write('database/roles/gonecustom', {
      db_name: 'pg',
      creation_statements: [CREATE],
      revocation_statements: [CUSTOM_REVOKE],
      default_ttl: '5s',
    });
    await write('database/roles/limited', {
      db_name: 'limited',
      creation_statements: [CREATE],
      default_ttl: '5s',
    });
  });

  after(async () => {
    await server?.stop();
    if (server) await removeServerDir(server);
    await cluster?.stop();
  });

  for (const role of ['gone', 'gonecustom']) {
    const statements = role === 'gone' ? 'default revocation' : 'custom revocation statements';
    test(`a user dropped by hand counts as revoked (${statements}): on revoke and on expiry`, async () => {
      const revoked = await issue(role);
      const expiring = await issue(role);
      for (const creds of [revoked, expiring]) {
        assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
        await dropByHand(creds.data.username);
        assert.equal((await lookup(creds.lease_id)).status, 200, 'the lease outlives its user until revoked');
      }
      const res = await server.api('PUT', 'sys/leases/revoke', { lease_id: revoked.lease_id }, root);
      assert.equal(res.status, 204, `revoking a lease whose user is gone: ${res.text}`);
      assert.equal((await lookup(revoked.lease_id)).status, 400, 'the revoked lease is gone');

      // The other one reaches its 5 s TTL: the expiry must end the lease at the first attempt.
      await eventually(
        async () => (await lookup(expiring.lease_id)).status === 400,
        30_000,
        'expired lease ended',
      );
      assert.deepEqual(retries(expiring.lease_id), [], 'no failed attempt was logged');
      assert.deepEqual(retries(revoked.lease_id), []);
      const stuck = await irrevocable();
      assert.ok(
        !stuck.includes(expiring.lease_id) && !stuck.includes(revoked.lease_id),
        'nothing irrevocable',
      );
    });
  }

  test('a permission error is never success: the lease stays, is retried, and revokes once the permission is back', async () => {
    const creds = await issue('limited');
    const { username, password } = creds.data;
    assert.equal(await cluster.canLogin(username, password), true);
    // Coffer's admin loses the right to drop roles before the 5 s lease ends.
    await cluster.query(`ALTER ROLE ${pg.escapeIdentifier(limited.username)} NOCREATEROLE`);
    try {
      const refused = await server.api('PUT', 'sys/leases/revoke', { lease_id: creds.lease_id }, root);
      bodies.push(refused.text);
      assert.equal(refused.status, 500, `a synchronous revoke reports the failure: ${refused.text}`);
      assert.match(refused.text, /permission denied/);
      assert.equal((await lookup(creds.lease_id)).status, 200, 'the lease stays');
      assert.equal(await cluster.roleExists(username), true);

      // The lease expires meanwhile: the expiration manager tries, fails, and backs off (1 s, 2 s, …).
      await eventually(async () => retries(creds.lease_id).length >= 2, 30_000, 'two failed attempts logged');
      const attempts = retries(creds.lease_id);
      // 1 s then 2 s, each jittered ±50%.
      assert.deepEqual(
        attempts.slice(0, 2).map((a) => a.attempts),
        [1, 2],
      );
      for (const a of attempts.slice(0, 2)) {
        const nominal = 1000 * 2 ** (a.attempts - 1);
        assert.ok(a.retry_in_ms >= nominal / 2 && a.retry_in_ms <= nominal * 1.5, `${a.retry_in_ms} ms`);
      }
      const lookedUp = await lookup(creds.lease_id);
      assert.equal(lookedUp.status, 200, 'the lease is still there after failed retries');
      assert.equal(await cluster.roleExists(username), true, 'and so is the user');
      assert.equal(
        await cluster.canLogin(username, password),
        true,
        'who can still log in: nothing claims otherwise',
      );
      assert.ok(!(await irrevocable()).includes(creds.lease_id), 'not irrevocable after two attempts');
    } finally {
      await cluster.query(`ALTER ROLE ${pg.escapeIdentifier(limited.username)} CREATEROLE`);
    }

    // With the permission back, a later retry (4 s or 8 s after the last one) drops the user.
    await eventually(async () => !(await cluster.roleExists(username)), 60_000, 'user dropped by a retry');
    assert.equal(await cluster.canLogin(username, password), false, 'the user can no longer log in');
    await eventually(async () => (await lookup(creds.lease_id)).status === 400, 15_000, 'lease ended');
    assert.ok(!(await irrevocable()).includes(creds.lease_id));
  });

  test('no secret reached an error body or the server output', () => {
    const haystacks = { output: server.output(), bodies: bodies.join('\n') };
    for (const [where, text] of Object.entries(haystacks))
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret in the ${where}`);
  });
});
