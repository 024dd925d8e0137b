/** A connection read never shows a literal root password, in URL or in MySQL's Go DSN form. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionToWire } from './config.js';

const shown = (connection_url: string) => {
  const wire = connectionToWire({
    pluginName: 'mysql-database-plugin',
    connectionDetails: { connection_url, password: 'root-secret' },
    allowedRoles: [],
    rootRotationStatements: [],
    passwordPolicy: '',
    verifyConnection: true,
  });
  const details = wire.connection_details as Record<string, unknown>;
  assert.equal(details.password, undefined);
  return details.connection_url;
};

test('literal passwords are redacted; templates stay visible', () => {
  assert.equal(shown('postgresql://admin:p%40ss@db:5432/app'), 'postgresql://admin:xxxxx@db:5432/app');
  assert.equal(shown('admin:s3cr@t@tcp(127.0.0.1:3306)/'), 'admin:xxxxx@tcp(127.0.0.1:3306)/');
  assert.equal(shown('admin:pw@unix(/run/mysqld.sock)/app'), 'admin:xxxxx@unix(/run/mysqld.sock)/app');
  assert.equal(
    shown('{{username}}:{{password}}@tcp(127.0.0.1:3306)/'),
    '{{username}}:{{password}}@tcp(127.0.0.1:3306)/',
  );
  assert.equal(
    shown('postgresql://{{username}}:{{password}}@db/app'),
    'postgresql://{{username}}:{{password}}@db/app',
  );
  assert.equal(shown('tcp(127.0.0.1:3306)/'), 'tcp(127.0.0.1:3306)/');
});
