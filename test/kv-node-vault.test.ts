/** node-vault (npm) unchanged against KV v1 and v2: raw paths, check-and-set, versions, metadata, list verbs. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodeVault from 'node-vault';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let vault: nodeVault.client;

/** The HTTP status and first error of a call node-vault rejects. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const status = (error as nodeVault.ApiResponseError).response?.statusCode ?? 0;
    return { status, message: (error as Error).message };
  }
  assert.fail('the call succeeded');
}

before(async () => {
  server = await startTestServer({ storage: 'inmem' });
  vault = nodeVault({ endpoint: server.address, apiVersion: 'v1', token: server.rootToken });
  await vault.mount({ mount_point: 'kv1', type: 'kv', options: { version: '1' } });
  await vault.mount({ mount_point: 'kv2', type: 'kv', options: { version: '2' } });
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

describe('node-vault on KV v1', () => {
  test('write, read, list (LIST and GET ?list=1), delete', async () => {
    await vault.write('kv1/app/db', { user: 'alice', port: 5432 });
    await vault.write('kv1/app/api', { key: 'k' });
    const read = await vault.read('kv1/app/db');
    assert.deepEqual(read.data, { user: 'alice', port: 5432 });
    assert.equal(read.lease_duration, 2764800, 'the mount default TTL, without a lease');
    assert.deepEqual((await vault.list('kv1/app')).data.keys, ['api', 'db']);
    const getList = nodeVault({ endpoint: server.address, token: server.rootToken, noCustomHTTPVerbs: true });
    assert.deepEqual((await getList.list('kv1/app')).data.keys, ['api', 'db']);
    await vault.delete('kv1/app/db');
    assert.equal((await failure(vault.read('kv1/app/db'))).status, 404);
    assert.deepEqual(await failure(vault.write('kv1/empty', {})), {
      status: 400,
      message: 'missing data fields',
    });
  });
});

describe('node-vault on KV v2', () => {
  test('data/: write with cas, read versions, merge patch, soft delete', async () => {
    const first = await vault.write('kv2/data/app', { data: { password: 'one' }, options: { cas: 0 } });
    assert.equal(first.data.version, 1);
    assert.deepEqual(
      await failure(vault.write('kv2/data/app', { data: { password: 'x' }, options: { cas: 0 } })),
      {
        status: 400,
        message: 'check-and-set parameter did not match the current version',
      },
    );
    assert.equal(
      (await vault.write('kv2/data/app', { data: { password: 'two' }, options: { cas: 1 } })).data.version,
      2,
    );
    assert.equal((await vault.write('kv2/data/app', { data: { password: 'three' } })).data.version, 3);
    const latest = await vault.read('kv2/data/app');
    assert.deepEqual([latest.data.data, latest.data.metadata.version], [{ password: 'three' }, 3]);
    assert.equal((await vault.read('kv2/data/app?version=1')).data.data.password, 'one');
    const patched = await vault.update('kv2/data/app', { data: { user: 'bob' }, options: { cas: 3 } });
    assert.equal(patched.data.version, 4);
    assert.deepEqual((await vault.read('kv2/data/app')).data.data, { password: 'three', user: 'bob' });
    assert.equal((await failure(vault.update('kv2/data/none', { data: { a: 1 } }))).status, 404);
    await vault.delete('kv2/data/app');
    assert.equal((await failure(vault.read('kv2/data/app'))).status, 404);
    assert.equal((await vault.read('kv2/data/app?version=3')).data.data.password, 'three');
  });

  test('delete/, undelete/, destroy/ by version; metadata/ read, write, list, delete', async () => {
    await vault.write('kv2/delete/app', { versions: [1, 2] });
    await vault.write('kv2/undelete/app', { versions: [2, 4] });
    await vault.write('kv2/destroy/app', { versions: [3] });
    const meta = await vault.read('kv2/metadata/app');
    const versions = meta.data.versions;
    assert.equal(meta.data.current_version, 4);
    assert.notEqual(versions['1'].deletion_time, '');
    assert.deepEqual([versions['2'].deletion_time, versions['4'].deletion_time], ['', '']);
    assert.equal(versions['3'].destroyed, true);
    assert.equal((await failure(vault.read('kv2/data/app?version=3'))).status, 404);
    assert.equal((await vault.read('kv2/data/app?version=2')).data.data.password, 'two');
    await vault.write('kv2/metadata/app', { max_versions: 5, custom_metadata: { owner: 'ops' } });
    await vault.update('kv2/metadata/app', { custom_metadata: { env: 'prod' } });
    const updated = (await vault.read('kv2/metadata/app')).data;
    assert.deepEqual([updated.max_versions, updated.custom_metadata], [5, { owner: 'ops', env: 'prod' }]);
    assert.deepEqual((await vault.read('kv2/data/app')).data.metadata.custom_metadata, {
      owner: 'ops',
      env: 'prod',
    });
    await vault.write('kv2/data/team/svc', { data: { a: 1 } });
    assert.deepEqual((await vault.list('kv2/metadata')).data.keys, ['app', 'team/']);
    assert.deepEqual((await vault.list('kv2/metadata/team')).data.keys, ['svc']);
    await vault.delete('kv2/metadata/app');
    assert.equal((await failure(vault.read('kv2/metadata/app'))).status, 404);
    assert.equal((await failure(vault.read('kv2/data/app?version=2'))).status, 404);
  });

  test('versions 0 and negative: reads give the latest, version ops skip them (Vault); garbage is 400', async () => {
    await vault.write('kv2/data/edge', { data: { v: 1 } });
    assert.equal((await vault.read('kv2/data/edge?version=0')).data.metadata.version, 1);
    assert.equal((await vault.read('kv2/data/edge?version=-1')).data.metadata.version, 1);
    await vault.write('kv2/destroy/edge', { versions: [0, -1] });
    assert.equal((await vault.read('kv2/data/edge')).data.metadata.destroyed, false);
    assert.equal((await failure(vault.write('kv2/destroy/edge', { versions: ['x'] }))).status, 400);
    assert.deepEqual(await failure(vault.write('kv2/delete/edge', {})), {
      status: 400,
      message: 'no version number provided',
    });
  });

  test('LIST on data/ is a 404 carrying the `vault kv list` warning; custom_metadata problems are one error', async () => {
    await vault.write('kv2/data/wire/app', { data: { v: 1 } });
    for (const path of ['kv2/data/wire', 'kv2/data/wire/app']) {
      const listed = await server.api('LIST', path, undefined, server.rootToken);
      assert.equal(listed.status, 404, path);
      const body = listed.body as { data: unknown; warnings: string[] };
      assert.equal(body.data, null);
      assert.match(body.warnings[0], /^Invalid path for a versioned K\/V secrets engine\..*'vault kv list'/);
    }
    assert.equal((await failure(vault.list('kv2/data/wire'))).status, 404);
    const bad = await server.api(
      'POST',
      'kv2/metadata/wire/app',
      { custom_metadata: { a: '', b: 'x'.repeat(513) } },
      server.rootToken,
    );
    assert.equal(bad.status, 400);
    const errors = (bad.body as { errors: string[] }).errors;
    assert.equal(errors.length, 1, 'one string, as Vault sends its multierror');
    assert.match(errors[0], /^2 errors occurred:\n\t\* custom_metadata validation failed: .*\n\t\* .*\n\n$/);
  });
});
