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

test('a raw "@" inside a URL password is masked whole, up to the last "@" of the authority', () => {
  assert.equal(shown('postgresql://admin:p@ss@db:5432/app'), 'postgresql://admin:xxxxx@db:5432/app');
  assert.equal(
    shown('postgres://admin:a@b@db?sslmode=require&x=c@d'),
    'postgres://admin:xxxxx@db?sslmode=require&x=c@d',
  );
  assert.equal(shown('postgresql://db:5432/app?user=a@b'), 'postgresql://db:5432/app?user=a@b');
});

test('key material in the connection details is never answered', () => {
  const wire = connectionToWire({
    pluginName: 'mysql-database-plugin',
    connectionDetails: {
      connection_url: '{{username}}:{{password}}@tcp(db:3306)/',
      username: 'root',
      password: 'root-secret',
      tls_ca: 'CA PEM',
      tls_certificate_key: '-----BEGIN PRIVATE KEY-----',
      private_key: 'pk',
      service_account_json: '{}',
    },
    allowedRoles: [],
    rootRotationStatements: [],
    passwordPolicy: '',
    verifyConnection: true,
  });
  assert.deepEqual(Object.keys(wire.connection_details as object).sort(), [
    'connection_url',
    'tls_ca',
    'username',
  ]);
});
