/**
 * Leases of real dynamic credentials against the token rules that should end them (SECURITY.md C3,
 * C4, C5, I5, I6): a revoked token tree, a spent num_uses token and an expired batch token must
 * take their database users with them; nobody may renew or revoke a lease their policy does not
 * cover; disabling a mount or revoking a prefix drops users at the source; odd characters in
 * display or role names cannot inject into MariaDB statements or Redis ACL rules. Every check is a
 * real login with the issued password, before and after.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type Connection, createConnection } from 'mysql2/promise';
import { FaultProxy } from './helpers/fault-proxy.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { type ApiResult, removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const run = randomBytes(4).toString('hex');
const PG_CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
/** Can read database credentials and make child tokens: what every token in the trees below holds. */
const CREDS_POLICY = `
path "database/creds/*" { capabilities = ["read"] }
path "nosql/creds/*" { capabilities = ["read"] }
path "auth/token/create" { capabilities = ["update"] }
`;

interface Credentials {
  leaseId: string;
  leaseDuration: number;
  username: string;
  password: string;
}

let server: TestServer;
let root: string;

const call = (method: string, path: string, body?: unknown, token = root) =>
  server.api(method, path, body, token);

async function ok(method: string, path: string, body?: unknown, token = root): Promise<ApiResult> {
  const res = await call(method, path, body, token);
  assert.ok(res.status === 200 || res.status === 204, `${method} ${path}: ${res.status} ${res.text}`);
  return res;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function createToken(body: Record<string, unknown>, parent = root) {
  const res = await ok('POST', 'auth/token/create', body, parent);
  return res.body.auth as { client_token: string; accessor: string };
}

function credentialsOf(res: ApiResult): Credentials {
  assert.equal(res.status, 200, res.text);
  return {
    leaseId: res.body.lease_id,
    leaseDuration: res.body.lease_duration,
    username: res.body.data.username,
    password: res.body.data.password,
  };
}

const issue = async (path: string, token = root) => credentialsOf(await call('GET', path, undefined, token));

/** 200 while the token works; a revoked or expired token gets 403. */
const tokenAlive = async (token: string) =>
  (await call('GET', 'auth/token/lookup-self', undefined, token)).status === 200;

const leaseExists = async (leaseId: string) =>
  (await call('PUT', 'sys/leases/lookup', { lease_id: leaseId })).status === 200;

before(async () => {
  server = await startTestServer({ storage: 'sqlite' });
  root = server.rootToken;
  await ok('PUT', 'sys/policies/acl/creds', { policy: CREDS_POLICY });
});

after(async () => {
  await server?.stop();
  if (server) await removeServerDir(server);
});

describe('PostgreSQL credential leases and the token rules (C3, C4, C5, I5)', () => {
  let cluster: ScramCluster;
  let proxy: FaultProxy;
  let admin: { username: string; password: string };

  const connectionTo = (port: number) => ({
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${port}/postgres`,
    username: admin.username,
    password: admin.password,
    allowed_roles: '*',
  });
  const role = (db: string, ttl: string) => ({
    db_name: db,
    creation_statements: [PG_CREATE],
    default_ttl: ttl,
  });

  /** The issued password works, and only while the role exists. */
  async function assertLive(creds: Credentials): Promise<void> {
    assert.equal(await cluster.canLogin(creds.username, creds.password), true, `${creds.username} logs in`);
  }
  async function assertDropped(creds: Credentials): Promise<void> {
    assert.equal(await cluster.roleExists(creds.username), false, `${creds.username} dropped`);
    assert.equal(await cluster.canLogin(creds.username, creds.password), false, `${creds.username} refused`);
  }
  const dropped = (all: Credentials[]) => async () => {
    for (const creds of all) if (await cluster.roleExists(creds.username)) return false;
    return true;
  };

  before(async () => {
    cluster = await startScramCluster();
    admin = await cluster.createAdmin('coffer_leasesec');
    proxy = await new FaultProxy(cluster.port).start();
    await ok('POST', 'sys/mounts/database', { type: 'database' });
    await ok('POST', 'database/config/pg', connectionTo(cluster.port));
    await ok('POST', 'database/roles/app', role('pg', '1h'));
    await ok('POST', 'database/roles/sixty', role('pg', '60s'));
    await ok('POST', 'database/roles/bulk', role('pg', '1h'));
  });

  after(async () => {
    await proxy?.close();
    await cluster?.stop();
  });

  test('C3: revoking a parent revokes child and grandchild tokens and drops every DB user they leased', async () => {
    const parent = await createToken({ policies: ['creds'] });
    const child = await createToken({ policies: ['creds'] }, parent.client_token);
    const grandchild = await createToken({ policies: ['creds'] }, child.client_token);
    const tree = [parent, child, grandchild];
    const users = [];
    for (const token of tree) users.push(await issue('database/creds/app', token.client_token));
    for (const creds of users) await assertLive(creds);

    await ok('POST', 'auth/token/revoke', { token: parent.client_token });

    for (const token of tree) assert.equal(await tokenAlive(token.client_token), false);
    for (const creds of users) {
      await assertDropped(creds);
      assert.equal(await leaseExists(creds.leaseId), false);
    }
  });

  test('C3: revoke-orphan ends only the parent; children and their credentials survive', async () => {
    const parent = await createToken({ policies: ['creds'] });
    const child = await createToken({ policies: ['creds'] }, parent.client_token);
    const grandchild = await createToken({ policies: ['creds'] }, child.client_token);
    const parentCreds = await issue('database/creds/app', parent.client_token);
    const survivors = [
      await issue('database/creds/app', child.client_token),
      await issue('database/creds/app', grandchild.client_token),
    ];

    await ok('POST', 'auth/token/revoke-orphan', { token: parent.client_token });

    assert.equal(await tokenAlive(parent.client_token), false);
    await assertDropped(parentCreds);
    for (const token of [child, grandchild]) assert.equal(await tokenAlive(token.client_token), true);
    const orphaned = await call('GET', 'auth/token/lookup-self', undefined, child.client_token);
    assert.equal(orphaned.body.data.orphan, true);
    for (const creds of survivors) {
      await assertLive(creds);
      assert.equal(await leaseExists(creds.leaseId), true);
    }
    // The orphan is now the root of its own tree: revoking it still reaches the grandchild's user.
    await ok('POST', 'auth/token/revoke', { token: child.client_token });
    for (const creds of survivors) await assertDropped(creds);
  });

  test('C3: a num_uses=3 token under 10 concurrent creds requests: 3 succeed, then it and its leases are gone', async () => {
    const limited = await createToken({ policies: ['creds'], num_uses: 3 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call('GET', 'database/creds/app', undefined, limited.client_token)),
    );
    const issued = results.filter((res) => res.status === 200).map(credentialsOf);
    assert.equal(issued.length, 3, results.map((res) => res.status).join(','));
    for (const res of results.filter((r) => r.status !== 200)) assert.equal(res.status, 403, res.text);

    const byAccessor = async () =>
      (await call('POST', 'auth/token/lookup-accessor', { accessor: limited.accessor })).status;
    await eventually(async () => (await byAccessor()) !== 200, 'spent token revoked');
    // Vault revokes the token after its last use, and its leases with it, however the requests interleave.
    await eventually(dropped(issued), 'every user the spent token leased dropped');
    for (const creds of issued) {
      await assertDropped(creds);
      assert.equal(await leaseExists(creds.leaseId), false);
    }
  });

  test('C5: a 60 s lease made with a 3 s batch token ends with the token (CVE-2020-25816)', async () => {
    const batch = await createToken({ policies: ['creds'], type: 'batch', ttl: '3s' });
    assert.equal(batch.accessor, '', 'batch tokens have no accessor');
    const creds = await issue('database/creds/sixty', batch.client_token);
    assert.ok(creds.leaseDuration <= 3, `lease capped to the token's TTL, got ${creds.leaseDuration}`);
    await assertLive(creds);

    const renewSelf = await call('POST', 'auth/token/renew-self', {}, batch.client_token);
    assert.equal(renewSelf.status, 400, renewSelf.text);
    const renewByRoot = await call('POST', 'auth/token/renew', { token: batch.client_token });
    assert.equal(renewByRoot.status, 400, renewByRoot.text);
    const child = await call('POST', 'auth/token/create', { policies: ['creds'] }, batch.client_token);
    assert.equal(child.status, 400, child.text);

    await eventually(async () => !(await tokenAlive(batch.client_token)), 'batch token expired');
    await eventually(dropped([creds]), 'batch lease revoked at the database');
    await assertDropped(creds);
    assert.equal(await leaseExists(creds.leaseId), false);
  });

  test('a batch child is revoked with its parent, and so are the leases it made', async () => {
    const parent = await createToken({ policies: ['creds'] });
    const batch = await createToken({ policies: ['creds'], type: 'batch', ttl: '1h' }, parent.client_token);
    const creds = await issue('database/creds/app', batch.client_token);
    await assertLive(creds);
    await ok('POST', 'auth/token/revoke', { token: parent.client_token });
    assert.equal(await tokenAlive(batch.client_token), false, 'the batch child died with its parent');
    await eventually(dropped([creds]), 'the batch child lease revoked with the parent');
    await assertDropped(creds);
  });

  test("C4: renewing or revoking another's lease without a policy for it is 403; the user keeps working", async () => {
    const scoped = `
path "sys/leases/renew/database/creds/mine/*" { capabilities = ["update"] }
path "sys/leases/revoke/database/creds/mine/*" { capabilities = ["update"] }
`;
    await ok('PUT', 'sys/policies/acl/lease-mine', { policy: scoped });
    const outsider = await createToken({ policies: ['lease-mine'], no_default_policy: true });
    const withDefault = await createToken({ policies: ['default'] });
    const victim = await issue('database/creds/app');
    const attempts: [string, string, Record<string, unknown>, string][] = [
      ['PUT', 'sys/leases/renew', { lease_id: victim.leaseId }, outsider.client_token],
      ['PUT', 'sys/leases/revoke', { lease_id: victim.leaseId }, outsider.client_token],
      ['PUT', `sys/leases/renew/${victim.leaseId}`, {}, outsider.client_token],
      ['PUT', `sys/leases/revoke/${victim.leaseId}`, {}, outsider.client_token],
      ['PUT', 'sys/renew', { lease_id: victim.leaseId }, outsider.client_token],
      ['PUT', 'sys/revoke', { lease_id: victim.leaseId }, outsider.client_token],
      ['PUT', 'sys/leases/revoke-prefix/database/creds/app', {}, outsider.client_token],
      ['PUT', 'sys/leases/revoke-force/database/creds/app', {}, outsider.client_token],
      // An allowed URL must not smuggle another lease id in the body.
      ['PUT', 'sys/leases/revoke/database/creds/mine/x', { lease_id: victim.leaseId }, outsider.client_token],
      ['PUT', 'sys/leases/renew/database/creds/mine/x', { lease_id: victim.leaseId }, outsider.client_token],
      // The default policy may renew (as in Vault) but never revoke.
      ['PUT', 'sys/leases/revoke', { lease_id: victim.leaseId }, withDefault.client_token],
      ['PUT', 'sys/revoke', { lease_id: victim.leaseId }, withDefault.client_token],
    ];
    for (const [method, path, body, token] of attempts) {
      const res = await call(method, path, body, token);
      assert.ok(res.status === 403 || res.status === 400, `${path} ${JSON.stringify(body)}: ${res.status}`);
      if (!path.includes('/mine/')) assert.equal(res.status, 403, `${path}: ${res.text}`);
    }
    await assertLive(victim);
    assert.equal(await leaseExists(victim.leaseId), true);
    await ok('PUT', 'sys/leases/revoke', { lease_id: victim.leaseId });
    await assertDropped(victim);
  });

  test('C4: an accessor is not a token, lookup by accessor never shows the token id, and needs permission', async () => {
    const token = await createToken({ policies: ['creds'] });
    const other = await createToken({ policies: ['default'] });
    assert.equal((await call('GET', 'auth/token/lookup-self', undefined, token.accessor)).status, 403);
    assert.equal((await call('GET', 'database/creds/app', undefined, token.accessor)).status, 403);

    const looked = await ok('POST', 'auth/token/lookup-accessor', { accessor: token.accessor });
    assert.equal(looked.body.data.id, '');
    assert.equal(looked.body.data.accessor, token.accessor);
    assert.ok(!looked.text.includes(token.client_token), 'the token id is not in the answer');

    for (const path of ['lookup-accessor', 'renew-accessor', 'revoke-accessor']) {
      const res = await call('POST', `auth/token/${path}`, { accessor: token.accessor }, other.client_token);
      assert.equal(res.status, 403, `${path}: ${res.text}`);
    }
    assert.equal((await call('LIST', 'auth/token/accessors', undefined, other.client_token)).status, 403);
    assert.equal(await tokenAlive(token.client_token), true);
    await ok('POST', 'auth/token/revoke', { token: token.client_token });
  });

  test('I5: revoke-prefix on database/creds/ROLE drops all its users and no others', async () => {
    const bulk = [];
    for (let i = 0; i < 4; i++) bulk.push(await issue('database/creds/bulk'));
    const bystander = await issue('database/creds/app');
    for (const creds of [...bulk, bystander]) await assertLive(creds);

    await ok('PUT', 'sys/leases/revoke-prefix/database/creds/bulk', {});

    for (const creds of bulk) await assertDropped(creds);
    await assertLive(bystander);
    await ok('PUT', 'sys/leases/revoke', { lease_id: bystander.leaseId });
  });

  test('I5: disabling a database mount drops its users first, and refuses while they cannot be dropped', async () => {
    await ok('POST', 'sys/mounts/teardown', { type: 'database' });
    await ok('POST', 'teardown/config/direct', connectionTo(cluster.port));
    await ok('POST', 'teardown/config/proxied', connectionTo(proxy.port));
    await ok('POST', 'teardown/roles/direct', role('direct', '1h'));
    await ok('POST', 'teardown/roles/proxied', role('proxied', '1h'));
    const users = [
      await issue('teardown/creds/direct'),
      await issue('teardown/creds/direct'),
      await issue('teardown/creds/proxied'),
    ];
    for (const creds of users) await assertLive(creds);

    proxy.setMode('refuse');
    const refused = await call('DELETE', 'sys/mounts/teardown');
    assert.ok(refused.status >= 400, `disable with an unreachable database: ${refused.status}`);
    const mounts = await ok('GET', 'sys/mounts');
    assert.ok(mounts.body.data['teardown/'], 'the mount stays while a credential is live at the source');
    await assertLive(users[2]);

    proxy.setMode('pass');
    await ok('DELETE', 'sys/mounts/teardown');
    for (const creds of users) await assertDropped(creds);
  });
});

/** A userpass login whose display name is `userpass-<name>`, so odd characters reach the username template. */
async function loginAs(name: string, policies: string[]): Promise<string> {
  const password = `login-pw-${run}`; // not `pw-${run}`: the hostile name below holds that
  await ok('POST', `auth/userpass/users/${encodeURIComponent(name)}`, { password, token_policies: policies });
  const login = await call('POST', `auth/userpass/login/${encodeURIComponent(name)}`, { password }, '');
  assert.equal(login.status, 200, login.text);
  assert.equal(
    (await call('GET', 'auth/token/lookup-self', undefined, login.body.auth.client_token)).body.data
      .display_name,
    `userpass-${name}`,
  );
  return login.body.auth.client_token;
}

describe('MariaDB and Redis: hostile names cannot inject, revocation drops at the source (I6)', () => {
  before(async () => {
    await ok('POST', 'sys/auth/userpass', { type: 'userpass' });
    await ok('POST', 'sys/mounts/nosql', { type: 'database' });
  });

  describe('MariaDB', () => {
    let mariadb: Connection;
    const adminUser = `lsadm_${run}`;
    const adminPassword = `Adm1n_${run}`;
    const schema = `ls_${run}`;
    const marker = `pwned_${run}`;

    async function canLogIn(user: string, password: string): Promise<boolean> {
      try {
        const connection = await createConnection({
          host: '127.0.0.1',
          port: 3306,
          user,
          password,
          database: schema,
        });
        await connection.query('SELECT id FROM items');
        await connection.end();
        return true;
      } catch {
        return false;
      }
    }
    const usersLike = async (pattern: string) => {
      const [rows] = await mariadb.query('SELECT User FROM mysql.user WHERE User LIKE ?', [pattern]);
      return (rows as { User: string }[]).map((row) => row.User);
    };

    before(async () => {
      mariadb = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
      await mariadb.query('CREATE USER ?@? IDENTIFIED BY ?', [adminUser, '%', adminPassword]);
      await mariadb.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [adminUser, '%']);
      await mariadb.query(`CREATE DATABASE ${schema}`);
      await mariadb.query(`CREATE TABLE ${schema}.items (id INT PRIMARY KEY)`);
      await ok('POST', 'nosql/config/maria', {
        plugin_name: 'mysql-database-plugin',
        connection_url: '{{username}}:{{password}}@tcp(127.0.0.1:3306)/',
        username: adminUser,
        password: adminPassword,
        allowed_roles: '*',
        // The whole display name, untruncated, so a quote in it reaches the statements.
        username_template: `{{ printf "${run}-%s-%s-%s" .DisplayName (.RoleName | truncate 12) (random 6) }}`,
      });
      const creation = [
        `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`,
        `GRANT SELECT ON ${schema}.* TO '{{name}}'@'%';`,
      ];
      for (const name of ['plain', 'semi;colon%_']) {
        await ok('POST', `nosql/roles/${encodeURIComponent(name)}`, {
          db_name: 'maria',
          creation_statements: creation,
          default_ttl: '1h',
        });
      }
    });

    after(async () => {
      for (const user of [...(await usersLike(`${run}-%`)), adminUser])
        await mariadb.query('DROP USER IF EXISTS ?@?', [user, '%']);
      await mariadb.query(`DROP DATABASE IF EXISTS ${schema}`);
      await mariadb.query(`DROP DATABASE IF EXISTS ${marker}`);
      await mariadb.end();
    });

    test("a role name with ';', '%' and '_' is templated as data: login works, revoke drops the user", async () => {
      const creds = await issue(`nosql/creds/${encodeURIComponent('semi;colon%_')}`);
      assert.ok(creds.username.includes('semi;colon%_'), creds.username);
      assert.equal(await canLogIn(creds.username, creds.password), true);
      await ok('PUT', 'sys/leases/revoke', { lease_id: creds.leaseId });
      assert.deepEqual(await usersLike(creds.username), []);
      assert.equal(await canLogIn(creds.username, creds.password), false);
    });

    test('a display name that would close the quoted literal is refused and creates nothing', async () => {
      // Unescaped, this would end the user name, set a known password and run a second statement.
      const hostile = `x'@'%' identified by 'pwned'; create database ${marker}; --`;
      const token = await loginAs(hostile, ['creds']);
      const before = await usersLike(`${run}-%`);
      const res = await call('GET', 'nosql/creds/plain', undefined, token);
      assert.ok(res.status >= 400 && res.status < 600, `${res.status} ${res.text}`);
      assert.deepEqual(await usersLike(`${run}-%`), before, 'no user was created');
      const [schemas] = await mariadb.query('SHOW DATABASES LIKE ?', [marker]);
      assert.deepEqual(schemas, [], 'the injected statement never ran');
      assert.equal(await canLogIn(`${run}-userpass-x`, 'pwned'), false);
      // The same login with a harmless name gets working credentials that revocation removes.
      const plain = await issue('nosql/creds/plain', await loginAs(`plain-${run}`, ['creds']));
      assert.equal(await canLogIn(plain.username, plain.password), true);
      await ok('PUT', 'sys/leases/revoke', { lease_id: plain.leaseId });
      assert.equal(await canLogIn(plain.username, plain.password), false);
    });
  });

  describe('Redis', () => {
    let redis: Redis;
    const adminUser = `lsadm_${run}`;
    const adminPassword = `Adm1n_${run}`;
    const allowedKey = `ls:${run}:allowed`;
    const otherKey = `other:${run}`;

    async function session(username: string, password: string): Promise<Redis | undefined> {
      const connection = new Redis({
        host: '127.0.0.1',
        port: 6379,
        username,
        password,
        lazyConnect: true,
        enableReadyCheck: false,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      connection.on('error', () => undefined);
      try {
        await connection.connect();
        return connection;
      } catch {
        connection.disconnect();
        return undefined;
      }
    }
    const denied = (promise: Promise<unknown>) =>
      promise.then(
        () => false,
        (error: Error) => /NOPERM/.test(error.message),
      );

    before(async () => {
      redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
      await redis.connect();
      await redis.call('ACL', 'SETUSER', adminUser, 'on', `>${adminPassword}`, '~*', '&*', '+@all');
      await redis.set(allowedKey, 'hello');
      await redis.set(otherKey, 'secret');
      await ok('POST', 'nosql/config/redis', {
        plugin_name: 'redis-database-plugin',
        host: '127.0.0.1',
        port: 6379,
        username: adminUser,
        password: adminPassword,
        allowed_roles: '*',
      });
      await ok('POST', 'nosql/roles/reader', {
        db_name: 'redis',
        creation_statements: '["~ls:*", "+@read"]',
        default_ttl: '1h',
      });
    });

    after(async () => {
      const users = (await redis.call('ACL', 'USERS')) as string[];
      for (const name of users.filter((user) => user === adminUser || user.startsWith('V_USERPASS-')))
        await redis.call('ACL', 'DELUSER', name);
      await redis.del(allowedKey, otherKey);
      redis.disconnect();
    });

    test('ACL rule syntax in a display name stays part of the name: no extra keys or commands', async () => {
      // If the name were split into arguments, `~*`, `+@all` and `>pw` would widen the user.
      const token = await loginAs(`r'"~*+@all>pw-${run}`, ['creds']);
      const creds = await issue('nosql/creds/reader', token);
      assert.ok(creds.username.startsWith(`V_USERPASS-R'"~*+@ALL>PW-${run.toUpperCase()}_READER_`));
      const user = await session(creds.username, creds.password);
      assert.ok(user, 'the issued password logs in');
      try {
        assert.equal(await user.get(allowedKey), 'hello');
        assert.equal(await denied(user.get(otherKey)), true, 'keys outside ~ls:* are refused');
        assert.equal(await denied(user.set(allowedKey, 'changed')), true, 'write commands are refused');
      } finally {
        user.disconnect();
      }
      assert.equal(await session(creds.username, 'pw'), undefined);

      await ok('PUT', 'sys/leases/revoke', { lease_id: creds.leaseId });
      assert.ok(!((await redis.call('ACL', 'USERS')) as string[]).includes(creds.username));
      assert.equal(await session(creds.username, creds.password), undefined, 'login refused after revoke');
    });
  });
});
