/** The Redis plugin against the real Redis on 127.0.0.1:6379, with its own ACL admin user. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { DatabasePlugin, NewUserRequest } from '../plugin.js';
import { DEFAULT_ACL_RULES, parseAclRules, redisPlugin, redisUsername } from './redis.js';

const run = randomBytes(4).toString('hex');
const display = `t${run}`;
const prefix = `V_${display.toUpperCase()}_`;
const keyPrefix = `ct:${run}:`;
const adminUser = `cadm_${run}`;
const adminPassword = `Adm!n@${run}:/?#%&()='" \\x`;
const config = { host: '127.0.0.1', port: 6379, username: adminUser, password: adminPassword };

let root: Redis;
const plugins: DatabasePlugin[] = [];

function client(username?: string, password?: string): Redis {
  return new Redis({
    host: '127.0.0.1',
    port: 6379,
    username,
    password,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
}

/** A connected client for the user, or the refusal's text. */
async function login(username: string, password: string): Promise<Redis | string> {
  const connection = client(username, password);
  let failure = '';
  connection.on('error', (error: Error) => {
    failure = error.message;
  });
  try {
    await connection.connect(); // resolves once AUTH has succeeded
    return connection;
  } catch (error) {
    connection.disconnect();
    return failure || (error as Error).message;
  }
}

async function canLogIn(username: string, password: string): Promise<boolean> {
  const connection = await login(username, password);
  if (typeof connection === 'string') return false;
  connection.disconnect();
  return true;
}

async function users(): Promise<string[]> {
  return ((await root.call('ACL', 'USERS')) as string[]).filter((name) => name.startsWith(prefix));
}

async function clientsOf(username: string): Promise<number> {
  const list = (await root.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` user=${username} `)).length;
}

async function started(): Promise<DatabasePlugin> {
  const plugin = redisPlugin();
  plugins.push(plugin);
  await plugin.initialize({ config, verifyConnection: true });
  return plugin;
}

function request(roleName: string, overrides: Partial<NewUserRequest> = {}): NewUserRequest {
  return {
    usernameConfig: { displayName: display, roleName },
    statements: [],
    rollbackStatements: [],
    password: `Pw-${randomBytes(12).toString('hex')}`,
    expiration: new Date(Date.now() + 3600_000),
    ...overrides,
  };
}

before(async () => {
  root = client();
  await root.connect();
  await root.call('ACL', 'SETUSER', adminUser, 'on', `>${adminPassword}`, '~*', '&*', '+@all');
  await root.set(`${keyPrefix}greeting`, 'hello');
});

after(async () => {
  for (const plugin of plugins) await plugin.close().catch(() => undefined);
  for (const name of [...(await users()), adminUser]) await root.call('ACL', 'DELUSER', name);
  const keys = await root.keys(`${keyPrefix}*`);
  if (keys.length > 0) await root.del(...keys);
  root.disconnect();
});

test('initialize checks the connection; a wrong password fails without being echoed', async () => {
  await started();
  const plugin = redisPlugin();
  plugins.push(plugin);
  const wrong = `Wr0ng-${run}-secret`;
  await assert.rejects(
    plugin.initialize({ config: { ...config, password: wrong }, verifyConnection: true }),
    (error: Error & { code?: string }) =>
      error.code === 'invalid_request' && /WRONGPASS/.test(error.message) && !error.message.includes(wrong),
  );
});

test('initialize against a closed port names the network error', async () => {
  const plugin = redisPlugin();
  await assert.rejects(
    plugin.initialize({ config: { ...config, port: 1 }, verifyConnection: true }),
    /error verifying connection: .*ECONNREFUSED/,
  );
});

const missing = [
  { name: 'host', config: { ...config, host: '' }, message: /host cannot be empty/ },
  { name: 'port', config: { ...config, port: undefined }, message: /port cannot be empty/ },
  { name: 'username', config: { ...config, username: '' }, message: /username cannot be empty/ },
  { name: 'password', config: { ...config, password: '' }, message: /password cannot be empty/ },
];

for (const c of missing) {
  test(`initialize requires the ${c.name}, as Vault does`, async () => {
    await assert.rejects(redisPlugin().initialize({ config: c.config, verifyConnection: false }), c.message);
  });
}

test('newUser with no statements gets Vault default rules: read every key, write nothing', async () => {
  const plugin = await started();
  const req = request('reader');
  const { username } = await plugin.newUser(req);
  try {
    assert.ok((await users()).includes(username));
    const connection = await login(username, req.password);
    assert.ok(typeof connection !== 'string', String(connection));
    assert.equal(await connection.get(`${keyPrefix}greeting`), 'hello');
    await assert.rejects(connection.set(`${keyPrefix}other`, 'x'), /NOPERM/);
    connection.disconnect();
    assert.equal(await canLogIn(username, `${req.password}x`), false, 'a wrong password is refused');
  } finally {
    await plugin.deleteUser({ username, statements: [] });
  }
});

test('newUser applies the JSON array of ACL rules in the creation statement', async () => {
  const plugin = await started();
  const req = request('writer', { statements: [`["~${keyPrefix}w:*", "+@all"]`] });
  const { username } = await plugin.newUser(req);
  try {
    const connection = await login(username, req.password);
    assert.ok(typeof connection !== 'string', String(connection));
    await connection.set(`${keyPrefix}w:1`, 'written');
    await assert.rejects(connection.get(`${keyPrefix}greeting`), /NOPERM/);
    connection.disconnect();
  } finally {
    await plugin.deleteUser({ username, statements: [] });
  }
});

test('deleteUser: login fails, the user is gone, its clients are disconnected, and twice is fine', async () => {
  const plugin = await started();
  const req = request('revoked');
  const { username } = await plugin.newUser(req);
  const session = await login(username, req.password);
  assert.ok(typeof session !== 'string');
  session.on('error', () => undefined);
  assert.equal(await clientsOf(username), 1);

  await plugin.deleteUser({ username, statements: [] });
  assert.equal(await canLogIn(username, req.password), false);
  assert.ok(!(await users()).includes(username));
  assert.equal(await clientsOf(username), 0);
  await assert.rejects(session.get(`${keyPrefix}greeting`));
  session.disconnect();

  await plugin.deleteUser({ username, statements: [] });
});

test('updateUser: the new password works and the old one does not', async () => {
  const plugin = await started();
  const req = request('rotated');
  const { username } = await plugin.newUser(req);
  try {
    const newPassword = `New-${randomBytes(12).toString('hex')}`;
    await plugin.updateUser({ username, password: { newPassword, statements: [] } });
    assert.equal(await canLogIn(username, req.password), false);
    assert.equal(await canLogIn(username, newPassword), true);
    await plugin.updateUser({ username, expiration: { newExpiration: new Date(), statements: [] } });
  } finally {
    await plugin.deleteUser({ username, statements: [] });
  }
});

test('updateUser on a missing user fails and does not create it', async () => {
  const plugin = await started();
  const username = `${prefix}GHOST`;
  const newPassword = `Ghost-${run}-pw`;
  await assert.rejects(
    plugin.updateUser({ username, password: { newPassword, statements: [] } }),
    (error: Error) => /not found/.test(error.message) && !error.message.includes(newPassword),
  );
  assert.ok(!(await users()).includes(username));
});

test('newUser with a bad rule leaves no user and does not echo the password', async () => {
  const plugin = await started();
  const req = request('broken', { statements: ['["~*", "+@nonsense"]'] });
  await assert.rejects(plugin.newUser(req), (error: Error) => {
    assert.match(error.message, /unable to create user: .*\+@nonsense/);
    assert.ok(!error.message.includes(req.password.slice(0, 4)));
    return true;
  });
  assert.deepEqual(
    (await users()).filter((name) => name.startsWith(`${prefix}BROKEN_`)),
    [],
  );
});

test('users created in one turn each get their own outcome: a bad rule fails only its own, the rest log in', async () => {
  const plugin = await started();
  const good = Array.from({ length: 12 }, () => request('burst'));
  const bad = request('burstbad', { statements: ['["~*", "+@nonsense"]'] });
  // Issued together, these go out in one pipeline; each command keeps its reply and its error.
  const outcomes = await Promise.allSettled([...good, bad].map((req) => plugin.newUser(req)));
  const created = outcomes.slice(0, good.length).map((outcome) => {
    assert.equal(outcome.status, 'fulfilled');
    return (outcome as PromiseFulfilledResult<{ username: string }>).value.username;
  });
  const failed = outcomes[good.length];
  assert.equal(failed.status, 'rejected');
  assert.match((failed as PromiseRejectedResult).reason.message, /unable to create user: .*\+@nonsense/);
  try {
    for (const [i, username] of created.entries())
      assert.equal(await canLogIn(username, good[i].password), true);
    assert.deepEqual(
      (await users()).filter((name) => name.startsWith(`${prefix}BURSTBAD_`)),
      [],
    );
  } finally {
    await Promise.all(created.map((username) => plugin.deleteUser({ username, statements: [] })));
  }
  for (const [i, username] of created.entries())
    assert.equal(await canLogIn(username, good[i].password), false);
});

test('close() disconnects the plugin', async () => {
  for (const other of plugins.splice(0)) await other.close();
  const plugin = await started();
  assert.equal(await clientsOf(adminUser), 1);
  await plugin.close();
  for (let i = 0; i < 100 && (await clientsOf(adminUser)) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20)); // the server drops a quit client asynchronously
  }
  assert.equal(await clientsOf(adminUser), 0);
});

test('usernames follow Vault: V_<DISPLAY>_<ROLE>_<20 random>_<unix time>, at most 100, upper case', () => {
  const now = new Date('2026-01-02T03:04:05Z');
  const name = redisUsername({ displayName: 'token-ab', roleName: 'my-role' }, now);
  assert.match(name, /^V_TOKEN-AB_MY-ROLE_[A-Z0-9]{20}_1767323045$/);
  const long = redisUsername({ displayName: 'd'.repeat(80), roleName: 'r'.repeat(80) }, now);
  assert.equal(long.length, 100);
  assert.match(long, /^V_D{64}_R{33}$/);
  assert.match(redisUsername({ displayName: '', roleName: 'only' }, now), /^V_ONLY_[A-Z0-9]{20}_\d+$/);
});

const ruleCases = [
  { name: 'no statement means the default', statements: [], rules: DEFAULT_ACL_RULES },
  { name: 'one JSON array', statements: ['["~app:*", "+@read"]'], rules: ['~app:*', '+@read'] },
  {
    name: 'a JSON array split at its commas',
    statements: ['["~app:*"', ' "+get"]'],
    rules: ['~app:*', '+get'],
  },
  { name: 'several arrays', statements: ['["~a:*"]', '["+@read"]'], rules: ['~a:*', '+@read'] },
  { name: 'bare rules', statements: ['~a:* +@read', '-keys'], rules: ['~a:*', '+@read', '-keys'] },
];

for (const c of ruleCases) {
  test(`ACL rules: ${c.name}`, () => assert.deepEqual(parseAclRules(c.statements), c.rules));
}

test('ACL rules: a malformed JSON array is refused', () => {
  assert.throws(() => parseAclRules(['["~a:*", +@read]']), /JSON array of ACL rules/);
});
