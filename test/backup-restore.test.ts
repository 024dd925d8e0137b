/**
 * G6: backup and restore on PostgreSQL storage. A `pg_dump` taken while the server runs, more writes,
 * the dump restored into a fresh database (`createdb` + `psql -f`): a server on it unseals with the
 * original keys and serves exactly the state of the backup; another server's keys do not unseal it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const ADMIN_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The libpq connection options of the admin URL, for the CLIs. */
function cliArgs(database: string): string[] {
  const url = new URL(ADMIN_URL);
  return [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username),
    '-d',
    database,
  ];
}

function databaseUrl(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A digest of a database's whole store table, to see that nothing was written. */
async function tableDigest(database: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    const result = await client.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(md5(parent || name || value), '' ORDER BY parent, name), '')) AS digest FROM coffer_store`,
    );
    return JSON.stringify(result.rows[0]);
  } finally {
    await client.end();
  }
}

test('a pg_dump restored into a fresh database: right keys give the backup state, wrong keys unseal nothing', async () => {
  const tag = `coffer_g6_${process.pid}_${Date.now()}`;
  const [source, restored, other] = [`${tag}_src`, `${tag}_restored`, `${tag}_other`];
  const servers: TestServer[] = [];
  const start = async (database: string, uninitialized = false) => {
    const server = await startTestServer({
      storage: 'postgresql',
      storageOptions: { connection_url: databaseUrl(database) },
      uninitialized,
    });
    servers.push(server);
    return server;
  };
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${source}"`);
    await admin.query(`CREATE DATABASE "${other}"`);
    const original = await start(source);
    const root = original.rootToken;
    const ok = async (method: string, path: string, body?: unknown, token = root) => {
      const res = await original.api(method, path, body, token);
      assert.ok(res.status === 200 || res.status === 204, `${method} ${path}: ${res.status} ${res.text}`);
      return res;
    };
    await ok('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } });
    const before = Array.from({ length: 10 }, (_, i) => `before-${i}-${randomBytes(8).toString('hex')}`);
    for (const [i, value] of before.entries()) await ok('POST', `kv/data/app/${i}`, { data: { value } });
    await ok('PUT', 'sys/policies/acl/reader', { policy: 'path "kv/data/*" { capabilities = ["read"] }' });
    const kept = (await ok('POST', 'auth/token/create', { ttl: '1h', policies: ['reader'] })).body.auth;

    // The backup, taken while the server runs.
    const dump = join(original.dir, 'backup.sql');
    await run('pg_dump', [...cliArgs(source), '--no-owner', '-f', dump]);

    // After the backup: new keys, an overwrite, a delete, a policy, a new token, a revoked one.
    for (let i = 0; i < 5; i++) await ok('POST', `kv/data/later/${i}`, { data: { value: `later-${i}` } });
    await ok('POST', 'kv/data/app/0', { data: { value: 'overwritten' } });
    await ok('DELETE', 'kv/metadata/app/1');
    await ok('PUT', 'sys/policies/acl/later', { policy: 'path "kv/*" { capabilities = ["list"] }' });
    const later = (await ok('POST', 'auth/token/create', { ttl: '1h', policies: ['reader'] })).body.auth;
    await ok('POST', 'auth/token/revoke', { token: kept.client_token });
    await original.stop();

    await admin.query(`CREATE DATABASE "${restored}"`);
    await run('psql', [...cliArgs(restored), '-v', 'ON_ERROR_STOP=1', '-q', '-f', dump]);
    const stranger = await start(other);
    const server = await start(restored, true);
    const status = await server.api('GET', 'sys/seal-status');
    assert.equal(status.body.initialized, true, status.text);
    assert.equal(status.body.sealed, true, status.text);

    // Another server's keys: refused, nothing served, nothing written.
    const digest = await tableDigest(restored);
    const answers = [];
    for (const key of stranger.unsealKeys.slice(0, 2))
      answers.push(await server.api('PUT', 'sys/unseal', { key }));
    const last = answers[answers.length - 1];
    assert.ok(last.status >= 400, `the wrong keys: ${last.status} ${last.text}`);
    assert.equal((await server.api('GET', 'sys/seal-status')).body.sealed, true);
    assert.equal((await server.api('GET', 'kv/data/app/2', undefined, root)).status, 503);
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, root)).status, 503);
    assert.equal(await tableDigest(restored), digest, 'the wrong keys changed the store');
    for (const key of stranger.unsealKeys) assert.equal(server.output().includes(key), false);

    // The right keys: exactly the state of the backup.
    for (const key of original.unsealKeys.slice(0, 2)) {
      const res = await server.api('PUT', 'sys/unseal', { key });
      assert.equal(res.status, 200, res.text);
    }
    assert.equal((await server.api('GET', 'sys/seal-status')).body.sealed, false);
    for (const [i, value] of before.entries()) {
      const res = await server.api('GET', `kv/data/app/${i}`, undefined, root);
      assert.equal(res.status, 200, `app/${i}: ${res.text}`);
      assert.equal(res.body.data.data.value, value);
      assert.equal(res.body.data.metadata.version, 1);
    }
    const listed = await server.api('LIST', 'kv/metadata/', undefined, root);
    assert.deepEqual(listed.body.data.keys, ['app/']);
    assert.equal((await server.api('GET', 'kv/data/later/0', undefined, root)).status, 404);
    assert.equal((await server.api('GET', 'sys/policies/acl/reader', undefined, root)).status, 200);
    assert.equal((await server.api('GET', 'sys/policies/acl/later', undefined, root)).status, 404);
    // The token revoked after the backup is alive in it; the one made after is unknown.
    const keptLookup = await server.api('GET', 'auth/token/lookup-self', undefined, kept.client_token);
    assert.equal(keptLookup.status, 200, keptLookup.text);
    assert.deepEqual(keptLookup.body.data.policies, ['default', 'reader']);
    assert.equal((await server.api('GET', 'kv/data/app/3', undefined, kept.client_token)).status, 200);
    assert.equal(
      (await server.api('GET', 'auth/token/lookup-self', undefined, later.client_token)).status,
      403,
    );
    // And it takes writes.
    assert.equal((await server.api('POST', 'kv/data/app/0', { data: { value: 'new' } }, root)).status, 200);
  } finally {
    for (const server of servers) {
      await server.stop();
      await removeServerDir(server);
    }
    for (const database of [source, restored, other])
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
});
