import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../../core/errors.js';
import { parsePostgresSettings, renderConnectionUrl } from './postgresql-settings.js';

const url = 'postgresql://{{username}}:{{password}}@127.0.0.1:5432/postgres';

test('settings read loosely as Vault does, and fill the URL with encoded credentials', () => {
  const settings = parsePostgresSettings({
    connection_url: url,
    username: 'admin',
    password: 'p@ss/w:rd',
    max_open_connections: '8',
    max_idle_connections: 20,
    max_connection_lifetime: '1m',
  });
  assert.equal(settings.maxOpenConnections, 8);
  assert.equal(settings.maxIdleConnections, 8, 'never more idle than open');
  assert.equal(settings.maxConnectionLifetimeSeconds, 60);
  assert.equal(renderConnectionUrl(settings), 'postgresql://admin:p%40ss%2Fw%3Ard@127.0.0.1:5432/postgres');
});

test('bad settings are a 400 that names the setting', () => {
  const cases = [
    [{ connection_url: '' }, /connection_url cannot be empty/],
    [{ connection_url: url, password: 'x' }, /references \{\{username\}\} but username is not set/],
    [
      { connection_url: 'postgres://h/db', max_open_connections: -1 },
      /max_open_connections must be a non-negative integer/,
    ],
    [
      { connection_url: 'postgres://h/db', max_open_connections: 'many' },
      /max_open_connections must be an integer/,
    ],
    [{ connection_url: 'postgres://h/db', max_connection_lifetime: 'soon' }, /max_connection_lifetime/],
  ] as const;
  for (const [config, message] of cases) {
    assert.throws(
      () => parsePostgresSettings(config),
      (error: unknown) => error instanceof CofferError && error.status === 400 && message.test(error.message),
      JSON.stringify(config),
    );
  }
});
