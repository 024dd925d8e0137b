/** The MySQL plugin against the real MariaDB on 127.0.0.1:3306, with its own admin user and database. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Connection, createConnection } from 'mysql2/promise';
import type { DatabasePlugin, NewUserRequest } from '../plugin.js';
import { mysqlAuroraPlugin, mysqlLegacyPlugin, mysqlPlugin, mysqlRdsPlugin } from './mysql.js';
import { MysqlPool, readMysqlSettings } from './mysql-connection.js';

const run = randomBytes(4).toString('hex');
const display = `t${run}`; // 9 characters: survives the template's `truncate 10`, so names carry it
const adminUser = `cadm_${run}`;
// Every character that could break a DSN or an SQL literal if it were pasted in unparsed.
const adminPassword = `Adm!n@${run}:/?#%&()='"\\ x`;
const database = `ct_${run}`;
const connectionUrl = '{{username}}:{{password}}@tcp(127.0.0.1:3306)/';
const config = { connection_url: connectionUrl, username: adminUser, password: adminPassword };

let root: Connection;
const plugins: DatabasePlugin[] = [];

async function rootConnection(): Promise<Connection> {
  return createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
}

async function started(factory = mysqlPlugin, extra: Record<string, unknown> = {}): Promise<DatabasePlugin> {
  const plugin = factory();
  plugins.push(plugin);
  await plugin.initialize({ config: { ...config, ...extra }, verifyConnection: true });
  return plugin;
}

function login(user: string, password: string): Promise<Connection> {
  return createConnection({ host: '127.0.0.1', port: 3306, user, password, database, connectTimeout: 5000 });
}

async function canLogIn(user: string, password: string): Promise<boolean> {
  try {
    const connection = await login(user, password);
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

async function accounts(pattern: string): Promise<string[]> {
  const [rows] = await root.query('SELECT User FROM mysql.user WHERE User LIKE ?', [pattern]);
  return (rows as { User: string }[]).map((row) => row.User);
}

async function sessionsOf(user: string): Promise<number> {
  const [rows] = await root.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [
    user,
  ]);
  return Number((rows as { n: number }[])[0].n);
}

const readOnly = [
  `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`,
  `GRANT SELECT ON ${database}.* TO '{{name}}'@'%'`,
];

function request(roleName: string, overrides: Partial<NewUserRequest> = {}): NewUserRequest {
  return {
    usernameConfig: { displayName: display, roleName },
    statements: readOnly,
    rollbackStatements: [],
    password: `Pw-${randomBytes(12).toString('hex')}`,
    expiration: new Date(Date.now() + 3600_000),
    ...overrides,
  };
}

before(async () => {
  root = await rootConnection();
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [adminUser, '%', adminPassword]);
  await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [adminUser, '%']);
  await root.query(`CREATE DATABASE ${database}`);
  await root.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY)`);
  await root.query(`INSERT INTO ${database}.items VALUES (1), (2)`);
});

after(async () => {
  for (const plugin of plugins) await plugin.close().catch(() => undefined);
  const [rows] = await root.query(
    'SELECT User, Host FROM mysql.user WHERE User LIKE ? OR User = ? OR User LIKE ?',
    [`v-${display}%`, adminUser, `v-q${run.slice(0, 3)}%`],
  );
  for (const { User, Host } of rows as { User: string; Host: string }[]) {
    await root.query('DROP USER ?@?', [User, Host]);
  }
  await root.query(`DROP DATABASE IF EXISTS ${database}`);
  await root.end();
});

test('initialize verifies the connection through a templated DSN with special characters', async () => {
  const plugin = mysqlPlugin();
  plugins.push(plugin);
  const stored = await plugin.initialize({ config, verifyConnection: true });
  assert.deepEqual(stored, config);
});

test('initialize with a wrong admin password fails without echoing it', async () => {
  const plugin = mysqlPlugin();
  plugins.push(plugin);
  const wrong = `Wr0ng-${run}-secret`;
  await assert.rejects(
    plugin.initialize({ config: { ...config, password: wrong }, verifyConnection: true }),
    (error: Error & { code?: string }) =>
      error.code === 'invalid_request' &&
      /error verifying connection: Access denied/.test(error.message) &&
      !error.message.includes(wrong),
  );
});

test('initialize against a closed port names the network error', async () => {
  const plugin = mysqlPlugin();
  await assert.rejects(
    plugin.initialize({
      config: { ...config, connection_url: 'u:p@tcp(127.0.0.1:1)/' },
      verifyConnection: true,
    }),
    /error verifying connection: .*ECONNREFUSED/,
  );
});

test('newUser: the issued user logs in and can do what the statements granted, nothing more', async () => {
  const plugin = await started();
  const req = request('reader');
  const { username } = await plugin.newUser(req);
  try {
    const connection = await login(username, req.password);
    const [rows] = await connection.query('SELECT id FROM items ORDER BY id');
    assert.deepEqual(rows, [{ id: 1 }, { id: 2 }]);
    await assert.rejects(connection.query('INSERT INTO items VALUES (3)'), /command denied/);
    await connection.end();
    assert.equal(await canLogIn(username, `${req.password}x`), false, 'a wrong password is refused');
  } finally {
    await plugin.deleteUser({ username, statements: [] });
  }
});

test('deleteUser: login fails, the account is gone, open sessions are ended, and twice is fine', async () => {
  const plugin = await started();
  const req = request('revoked');
  const { username } = await plugin.newUser(req);
  const session = await login(username, req.password);
  assert.equal(await sessionsOf(username), 1);

  await plugin.deleteUser({ username, statements: [] });
  assert.equal(await canLogIn(username, req.password), false);
  assert.deepEqual(await accounts(username), []);
  assert.equal(await sessionsOf(username), 0, 'the open session was killed');
  await assert.rejects(session.query('SELECT 1'));
  session.destroy();

  await plugin.deleteUser({ username, statements: [] });
});

test('deleteUser: custom revocation statements are templated with {{name}}', async () => {
  const plugin = await started();
  const req = request('custom');
  const { username } = await plugin.newUser(req);
  await plugin.deleteUser({ username, statements: ["DROP USER '{{name}}'@'%'"] });
  assert.deepEqual(await accounts(username), []);
});

test('updateUser: a new password works and the old one stops working', async () => {
  const plugin = await started();
  const req = request('rotated');
  const { username } = await plugin.newUser(req);
  try {
    const newPassword = `New-${randomBytes(12).toString('hex')}`;
    await plugin.updateUser({ username, password: { newPassword, statements: [] } });
    assert.equal(await canLogIn(username, req.password), false);
    assert.equal(await canLogIn(username, newPassword), true);

    const third = `Third-${randomBytes(12).toString('hex')}`;
    const statements = ["SET PASSWORD FOR '{{username}}'@'%' = PASSWORD('{{password}}')"];
    await plugin.updateUser({ username, password: { newPassword: third, statements } });
    assert.equal(await canLogIn(username, third), true, 'the role rotation statements are used');
  } finally {
    await plugin.deleteUser({ username, statements: [] });
  }
});

test('updateUser: a static username with a quote cannot rewrite another account', async () => {
  const plugin = await started();
  const victim = await plugin.newUser(request('victim'));
  const decoy = await plugin.newUser(request('decoy'));
  try {
    const chosen = `Owned-${run}`;
    // Renders as ALTER USER 'victim'@'%' IDENTIFIED BY 'Owned-…', 'decoy'@'%' IDENTIFIED BY '…'.
    const username = `${victim.username}'@'%' IDENTIFIED BY '${chosen}', '${decoy.username}`;
    const newPassword = `New-${randomBytes(12).toString('hex')}`;
    await assert.rejects(
      plugin.updateUser({ username, password: { newPassword, statements: [] } }),
      /username contains a quote/,
    );
    assert.equal(await canLogIn(victim.username, chosen), false);
  } finally {
    await plugin.deleteUser({ username: victim.username, statements: [] });
    await plugin.deleteUser({ username: decoy.username, statements: [] });
  }
});

test('updateUser: a new expiration is a no-op; no change at all is refused', async () => {
  const plugin = await started();
  await plugin.updateUser({ username: 'anyone', expiration: { newExpiration: new Date(), statements: [] } });
  await assert.rejects(plugin.updateUser({ username: 'anyone' }), /no change requested/);
});

test('updateUser: a failing rotation statement does not reveal the new password', async () => {
  const plugin = await started();
  const newPassword = `Leak-${run}-canary`;
  const statements = ["ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}' NONSENSE"];
  await assert.rejects(
    plugin.updateUser({ username: `v-${display}-nobody`, password: { newPassword, statements } }),
    (error: Error) => /failed to change password/.test(error.message) && !error.message.includes(newPassword),
  );
});

const halfWay = [
  {
    name: 'with the role rollback statements',
    rollback: ["DROP USER IF EXISTS '{{name}}'@'%'"],
    role: 'rbstmt',
  },
  { name: 'without any, the new account is dropped', rollback: [], role: 'rbdflt' },
];

for (const c of halfWay) {
  test(`newUser failing half-way runs the rollback (${c.name}) and hides the password`, async () => {
    const plugin = await started();
    const req = request(c.role, {
      // The second statement is invalid and quotes the password, so MariaDB's error echoes it.
      statements: [
        `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`,
        `GRANT SELEC ON *.* TO '{{name}}'@'%' IDENTIFIED BY '{{password}}'`,
      ],
      rollbackStatements: c.rollback,
    });
    await assert.rejects(plugin.newUser(req), (error: Error) => {
      // MariaDB echoes the statement cut at 80 characters: the password's beginning must not show.
      assert.match(error.message, /unable to create user: .*SQL syntax.*IDENTIFIED BY '\[password\]/);
      assert.ok(!error.message.includes(req.password.slice(0, 4)), 'the password is masked');
      assert.ok(!error.message.includes(adminPassword), 'the admin password is masked');
      return true;
    });
    assert.deepEqual(await accounts(`v-${display}-${c.role}-%`), []);
  });
}

test('newUser refuses empty creation statements', async () => {
  const plugin = await started();
  await assert.rejects(plugin.newUser(request('empty', { statements: ['  '] })), /empty creation statements/);
});

test('newUser refuses a password that would break out of an SQL literal', async () => {
  const plugin = await started();
  const req = request('quote', { password: "abc'; DROP DATABASE mysql; --" });
  await assert.rejects(
    plugin.newUser(req),
    (error: Error) =>
      /contains a quote or backslash/.test(error.message) && !error.message.includes(req.password),
  );
  assert.deepEqual(await accounts('v-%-quote-%'), [], 'no account was created');
});

const nameShapes = [
  {
    plugin: mysqlPlugin,
    role: 'a-very-long-role-name',
    max: 32,
    shape: new RegExp(`^v-${display}-a-very-lon-[A-Za-z0-9]+$`),
  },
  {
    plugin: mysqlAuroraPlugin,
    role: `q${run.slice(0, 3)}aurora`,
    max: 16,
    shape: /^v-q[0-9a-f]{3}-[A-Za-z0-9]{9}$/,
  },
  {
    plugin: mysqlRdsPlugin,
    role: `q${run.slice(0, 3)}rds`,
    max: 16,
    shape: /^v-q[0-9a-f]{3}-[A-Za-z0-9]{9}$/,
  },
  {
    plugin: mysqlLegacyPlugin,
    role: `q${run.slice(0, 3)}old`,
    max: 16,
    shape: /^v-q[0-9a-f]{3}-[A-Za-z0-9]{9}$/,
  },
];

for (const c of nameShapes) {
  test(`${c.plugin().type}: default usernames are at most ${c.max} characters`, async () => {
    const plugin = await started(c.plugin);
    const req = request(c.role);
    const { username } = await plugin.newUser(req);
    try {
      assert.match(username, c.shape);
      assert.equal(username.length, c.max);
      assert.equal(await canLogIn(username, req.password), true);
    } finally {
      await plugin.deleteUser({ username, statements: [] });
    }
  });
}

test('username_template in the config replaces the default', async () => {
  const plugin = await started(mysqlPlugin, {
    username_template: '{{ printf "v-%s-%s" (.DisplayName | lowercase) (random 8) }}',
  });
  const { username } = await plugin.newUser(request('templated'));
  await plugin.deleteUser({ username, statements: [] });
  assert.match(username, new RegExp(`^v-${display}-[A-Za-z0-9]{8}$`));
  await assert.rejects(
    started(mysqlPlugin, { username_template: '{{ nosuchfunction 3 }}' }),
    /invalid username template/,
  );
});

test('close() releases every pooled connection', async () => {
  // The admin's sessions are counted, so the other tests' plugins go first.
  for (const other of plugins.splice(0)) await other.close();
  const plugin = await started(mysqlPlugin, { max_open_connections: 3 });
  const created = await Promise.all([plugin.newUser(request('pool1')), plugin.newUser(request('pool2'))]);
  for (const { username } of created) await plugin.deleteUser({ username, statements: [] });
  assert.ok((await sessionsOf(adminUser)) >= 1);
  await plugin.close();
  for (let i = 0; i < 100 && (await sessionsOf(adminUser)) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20)); // the server drops a quit session asynchronously
  }
  assert.equal(await sessionsOf(adminUser), 0);
});

test('max_connection_lifetime retires a connection once it is older than the limit', async () => {
  let now = 1_000_000;
  const settings = readMysqlSettings({ ...config, max_connection_lifetime: '30s', max_open_connections: 1 });
  const pool = new MysqlPool(settings, () => now);
  try {
    const connectionId = async () => {
      const connection = await pool.acquire();
      const [rows] = await connection.query('SELECT CONNECTION_ID() AS id');
      connection.release();
      return (rows as { id: number }[])[0].id;
    };
    const first = await connectionId();
    now += 29_000;
    assert.equal(await connectionId(), first, 'reused while young');
    now += 2_000;
    assert.notEqual(await connectionId(), first, 'replaced when old');
  } finally {
    await pool.end();
  }
});

test('statements wait at most 90 s for a lock (the defaults: a year on MySQL, a day on MariaDB)', async () => {
  const pool = new MysqlPool(readMysqlSettings({ ...config, max_open_connections: 2 }));
  try {
    const connections = [await pool.acquire(), await pool.acquire()];
    for (const connection of connections) {
      const [rows] = await connection.query('SELECT @@SESSION.lock_wait_timeout AS seconds');
      assert.equal(Number((rows as { seconds: number }[])[0].seconds), 90);
      connection.release();
    }
  } finally {
    await pool.end();
  }
});
