import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../../core/errors.js';
import { poolOptions, readMysqlSettings } from './mysql-connection.js';
import { parseMysqlDsn } from './mysql-dsn.js';

const parses = [
  {
    name: 'the templated form Vault users write',
    dsn: '{{username}}:{{password}}@tcp(127.0.0.1:3306)/',
    want: { user: '{{username}}', password: '{{password}}', host: '127.0.0.1', port: 3306, database: '' },
  },
  {
    name: 'a literal password with @, :, / and parentheses',
    dsn: 'admin:p@ss:w/rd()@tcp(db.internal:3307)/app',
    want: { user: 'admin', password: 'p@ss:w/rd()', host: 'db.internal', port: 3307, database: 'app' },
  },
  {
    name: 'no credentials and no address means tcp to 127.0.0.1:3306',
    dsn: '/',
    want: { user: '', password: '', host: '127.0.0.1', port: 3306, database: '' },
  },
  {
    name: 'an address without a port uses 3306',
    dsn: 'u:p@tcp(db)/x',
    want: { user: 'u', password: 'p', host: 'db', port: 3306, database: 'x' },
  },
  {
    name: 'an IPv6 address in brackets',
    dsn: 'u:p@tcp([::1]:3310)/',
    want: { user: 'u', password: 'p', host: '::1', port: 3310, database: '' },
  },
  {
    name: 'a unix socket',
    dsn: 'u@unix(/run/mysqld/mysqld.sock)/db',
    want: { user: 'u', password: '', socketPath: '/run/mysqld/mysqld.sock', database: 'db' },
  },
  {
    name: 'parameters after the database, with a / in a value',
    dsn: 'u:p@tcp(h:1)/db?tls=skip-verify&loc=Europe%2FParis&timeout=5s',
    want: {
      user: 'u',
      password: 'p',
      host: 'h',
      port: 1,
      database: 'db',
      params: { tls: 'skip-verify', loc: 'Europe/Paris', timeout: '5s' },
    },
  },
];

for (const c of parses) {
  test(`DSN: ${c.name}`, () => {
    const parsed = parseMysqlDsn(c.dsn);
    const { params, ...rest } = c.want as typeof c.want & { params?: Record<string, string> };
    for (const [key, value] of Object.entries(rest))
      assert.equal(parsed[key as keyof typeof parsed], value, key);
    assert.deepEqual(parsed.params, params ?? {});
  });
}

const rejects = [
  { name: 'a URL instead of a DSN', dsn: 'mysql://admin:Sup3rS3cret@db:3306/app' },
  { name: 'no slash before the database', dsn: 'admin:Sup3rS3cret@tcp(db:3306)' },
  { name: 'an unknown protocol', dsn: 'admin:Sup3rS3cret@udp(db:3306)/' },
  { name: 'a port out of range', dsn: 'admin:Sup3rS3cret@tcp(db:99999)/' },
];

for (const c of rejects) {
  test(`DSN: ${c.name} is refused without echoing the password`, () => {
    assert.throws(
      () => parseMysqlDsn(c.dsn),
      (error: unknown) =>
        error instanceof CofferError &&
        error.code === 'invalid_request' &&
        !error.message.includes('Sup3rS3cret'),
    );
  });
}

test('settings: username and password with special characters are placed after parsing', () => {
  const password = `p@ss:w/rd?#%&()='"\\ x`;
  const settings = readMysqlSettings({
    connection_url: '{{username}}:{{password}}@tcp(127.0.0.1:3306)/',
    username: 'ad@min:x',
    password,
  });
  assert.equal(settings.dsn.user, 'ad@min:x');
  assert.equal(settings.dsn.password, password);
  assert.equal(settings.dsn.host, '127.0.0.1');
});

test('settings: Vault pool defaults and coercions', () => {
  const defaults = readMysqlSettings({ connection_url: '/' });
  assert.equal(defaults.maxOpenConnections, 4);
  assert.equal(defaults.maxIdleConnections, 4);
  assert.equal(defaults.maxConnectionLifetimeSeconds, 0);
  const tuned = readMysqlSettings({
    connection_url: '/',
    max_open_connections: '2',
    max_idle_connections: 10,
    max_connection_lifetime: '1m',
  });
  assert.equal(tuned.maxOpenConnections, 2);
  assert.equal(tuned.maxIdleConnections, 2, 'idle is clamped to open');
  assert.equal(tuned.maxConnectionLifetimeSeconds, 60);
  assert.throws(() => readMysqlSettings({}), /connection_url cannot be empty/);
  assert.throws(() => readMysqlSettings({ connection_url: '/', max_open_connections: 'many' }), /integer/);
});

const tlsModes = [
  { name: 'no tls parameter', url: '/', ssl: undefined },
  { name: 'tls=true verifies', url: '/?tls=true', ssl: { rejectUnauthorized: true } },
  { name: 'tls=skip-verify does not', url: '/?tls=skip-verify', ssl: { rejectUnauthorized: false } },
  { name: 'tls=false', url: '/?tls=false', ssl: undefined },
];

for (const c of tlsModes) {
  test(`TLS: ${c.name}`, () => {
    assert.deepEqual(poolOptions(readMysqlSettings({ connection_url: c.url })).ssl, c.ssl);
  });
}

test('TLS: tls_ca and tls_certificate_key become a verifying TLS context', () => {
  const ssl = poolOptions(
    readMysqlSettings({ connection_url: '/', tls_ca: 'CA-PEM', tls_certificate_key: 'CERT-AND-KEY-PEM' }),
  ).ssl as Record<string, unknown>;
  assert.equal(ssl.ca, 'CA-PEM');
  assert.equal(ssl.cert, 'CERT-AND-KEY-PEM');
  assert.equal(ssl.key, 'CERT-AND-KEY-PEM');
  assert.equal(ssl.rejectUnauthorized, true);
});

test('TLS: tls=preferred is refused rather than silently downgraded', () => {
  assert.throws(() => poolOptions(readMysqlSettings({ connection_url: '/?tls=preferred' })), /not supported/);
});
