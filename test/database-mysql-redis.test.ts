/**
 * The database engine with the MySQL and Redis plugins through a real server process: credentials
 * issued over HTTP log in to the real MariaDB and Redis, and stop working once their lease is
 * revoked or runs out.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type Connection, createConnection } from 'mysql2/promise';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const run = randomBytes(4).toString('hex');
const adminUser = `cadm_${run}`;
const adminPassword = `Adm!n@${run}:/?#%()='"x`;
const database = `ct_${run}`;

let server: TestServer;
const call = (method: string, path: string, body?: unknown) =>
  server.api(method, path, body, server.rootToken);

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(100);
  }
}

interface Credentials {
  username: string;
  password: string;
  leaseId: string;
  leaseDuration: number;
}

async function issue(role: string): Promise<Credentials> {
  const res = await call('GET', `database/creds/${role}`);
  assert.equal(res.status, 200, res.text);
  return {
    username: res.body.data.username,
    password: res.body.data.password,
    leaseId: res.body.lease_id,
    leaseDuration: res.body.lease_duration,
  };
}

async function revoke(leaseId: string): Promise<void> {
  const res = await call('PUT', 'sys/leases/revoke', { lease_id: leaseId });
  assert.equal(res.status, 204, res.text);
}

before(async () => {
  server = await startTestServer();
  const mounted = await call('POST', 'sys/mounts/database', { type: 'database' });
  assert.equal(mounted.status, 204, mounted.text);
});

after(async () => {
  await server?.stop();
  if (server) await removeServerDir(server);
});

describe('mysql-database-plugin', () => {
  let root: Connection;
  const role = `m${run}`;

  async function canLogIn(user: string, password: string): Promise<boolean> {
    try {
      const connection = await createConnection({ host: '127.0.0.1', port: 3306, user, password, database });
      await connection.query('SELECT id FROM items');
      await connection.end();
      return true;
    } catch {
      return false;
    }
  }

  async function exists(user: string): Promise<boolean> {
    const [rows] = await root.query('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
    return (rows as unknown[]).length > 0;
  }

  before(async () => {
    root = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    await root.query('CREATE USER ?@? IDENTIFIED BY ?', [adminUser, '%', adminPassword]);
    await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [adminUser, '%']);
    await root.query(`CREATE DATABASE ${database}`);
    await root.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY)`);

    const config = await call('POST', 'database/config/mysql', {
      plugin_name: 'mysql-database-plugin',
      connection_url: '{{username}}:{{password}}@tcp(127.0.0.1:3306)/',
      username: adminUser,
      password: adminPassword,
      allowed_roles: '*',
    });
    assert.equal(config.status, 204, config.text);
    const creation = [
      `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`,
      `GRANT SELECT ON ${database}.* TO '{{name}}'@'%';`,
    ];
    for (const [name, ttl] of [
      [role, '1h'],
      [`${role}s`, '2s'],
    ]) {
      const res = await call('POST', `database/roles/${name}`, {
        db_name: 'mysql',
        creation_statements: creation,
        default_ttl: ttl,
        max_ttl: ttl,
      });
      assert.equal(res.status, 204, res.text);
    }
  });

  after(async () => {
    const [rows] = await root.query('SELECT User, Host FROM mysql.user WHERE User LIKE ? OR User = ?', [
      `%-${role}%`,
      adminUser,
    ]);
    for (const { User, Host } of rows as { User: string; Host: string }[]) {
      await root.query('DROP USER ?@?', [User, Host]);
    }
    await root.query(`DROP DATABASE IF EXISTS ${database}`);
    await root.end();
  });

  test('the stored config never shows the admin password', async () => {
    const res = await call('GET', 'database/config/mysql');
    assert.equal(res.status, 200, res.text);
    assert.ok(!res.text.includes(adminPassword));
    assert.equal(res.body.data.plugin_name, 'mysql-database-plugin');
  });

  test('issued credentials log in; revoking the lease drops the user', async () => {
    const creds = await issue(role);
    assert.match(creds.username, new RegExp(`^v-root-${role}-[A-Za-z0-9]+$`));
    assert.ok(creds.username.length <= 32);
    assert.equal(creds.leaseDuration, 3600);
    assert.equal(await canLogIn(creds.username, creds.password), true);

    await revoke(creds.leaseId);
    assert.equal(await canLogIn(creds.username, creds.password), false);
    assert.equal(await exists(creds.username), false);
  });

  test('credentials stop working when a short lease runs out', async () => {
    const creds = await issue(`${role}s`);
    assert.equal(creds.leaseDuration, 2);
    assert.equal(await canLogIn(creds.username, creds.password), true);
    await eventually(async () => !(await exists(creds.username)));
    assert.equal(await canLogIn(creds.username, creds.password), false);
  });
});

describe('redis-database-plugin', () => {
  let root: Redis;
  const role = `r${run}`;
  const key = `ct:${run}:greeting`;

  async function canRead(username: string, password: string): Promise<boolean> {
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
      return (await connection.get(key)) === 'hello';
    } catch {
      return false;
    } finally {
      connection.disconnect();
    }
  }

  const exists = async (username: string) =>
    ((await root.call('ACL', 'USERS')) as string[]).includes(username);

  before(async () => {
    root = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await root.connect();
    await root.call('ACL', 'SETUSER', adminUser, 'on', `>${adminPassword}`, '~*', '&*', '+@all');
    await root.set(key, 'hello');

    const config = await call('POST', 'database/config/redis', {
      plugin_name: 'redis-database-plugin',
      host: '127.0.0.1',
      port: 6379,
      username: adminUser,
      password: adminPassword,
      allowed_roles: '*',
    });
    assert.equal(config.status, 204, config.text);
    for (const [name, ttl] of [
      [role, '1h'],
      [`${role}s`, '2s'],
    ]) {
      const res = await call('POST', `database/roles/${name}`, {
        db_name: 'redis',
        creation_statements: '["~ct:*", "+@read"]',
        default_ttl: ttl,
        max_ttl: ttl,
      });
      assert.equal(res.status, 204, res.text);
    }
  });

  after(async () => {
    const users = (await root.call('ACL', 'USERS')) as string[];
    for (const name of users.filter((user) => user.includes(role.toUpperCase()) || user === adminUser)) {
      await root.call('ACL', 'DELUSER', name);
    }
    await root.del(key);
    root.disconnect();
  });

  test('issued credentials read what the rules allow; revoking the lease deletes the user', async () => {
    const creds = await issue(role);
    assert.match(creds.username, new RegExp(`^V_ROOT_${role.toUpperCase()}_[A-Z0-9]{20}_\\d+$`));
    assert.equal(await canRead(creds.username, creds.password), true);

    await revoke(creds.leaseId);
    assert.equal(await canRead(creds.username, creds.password), false);
    assert.equal(await exists(creds.username), false);
  });

  test('credentials stop working when a short lease runs out', async () => {
    const creds = await issue(`${role}s`);
    assert.equal(creds.leaseDuration, 2);
    assert.equal(await canRead(creds.username, creds.password), true);
    await eventually(async () => !(await exists(creds.username)));
    assert.equal(await canRead(creds.username, creds.password), false);
  });
});
