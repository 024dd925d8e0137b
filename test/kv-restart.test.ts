/** KV v2 state survives a restart on the same sqlite file: versions, deletions, destroys and metadata, exactly. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  if (servers[0]) await removeServerDir(servers[0]);
});

/** Calls the API as root and insists on the expected status. */
async function call(server: TestServer, method: string, path: string, body?: unknown, status = 200) {
  const res = await server.api(method, path, body, server.rootToken);
  assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
  return res.body;
}

/** Everything a client can observe about the key: its metadata and each version's read. */
async function snapshot(server: TestServer) {
  const metadata = (await call(server, 'GET', 'kv/metadata/app')).data;
  const reads: Record<string, unknown> = {};
  for (const version of Object.keys(metadata.versions)) {
    const res = await server.api('GET', `kv/data/app?version=${version}`, undefined, server.rootToken);
    reads[version] = { status: res.status, data: res.body?.data };
  }
  const config = (await call(server, 'GET', 'kv/config')).data;
  return { metadata, reads, config };
}

test('versions, deletion_time, destroyed, custom_metadata and current_version survive a restart', async () => {
  const first = await startTestServer({ storage: 'sqlite' });
  servers.push(first);
  await call(first, 'POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, 204);
  await call(first, 'POST', 'kv/config', { max_versions: 8 }, 204);
  for (let i = 1; i <= 6; i++) await call(first, 'POST', 'kv/data/app', { data: { n: i, nested: { i } } });
  await call(first, 'POST', 'kv/delete/app', { versions: [2, 3] }, 204);
  await call(first, 'POST', 'kv/undelete/app', { versions: [3] }, 204);
  await call(first, 'POST', 'kv/destroy/app', { versions: [4] }, 204);
  await call(first, 'DELETE', 'kv/data/app', undefined, 204); // soft-deletes the latest, 6
  await call(
    first,
    'POST',
    'kv/metadata/app',
    { max_versions: 7, cas_required: true, delete_version_after: '100h', custom_metadata: { owner: 'ops' } },
    204,
  );
  const patch = await first.api(
    'PATCH',
    'kv/metadata/app',
    { custom_metadata: { env: 'prod' } },
    first.rootToken,
    {
      'Content-Type': 'application/merge-patch+json',
    },
  );
  assert.equal(patch.status, 204, patch.text);
  const before = await snapshot(first);
  assert.equal(before.metadata.current_version, 6);
  assert.notEqual(before.metadata.versions['2'].deletion_time, '');
  assert.equal(before.metadata.versions['3'].deletion_time, '');
  assert.equal(before.metadata.versions['4'].destroyed, true);
  assert.notEqual(before.metadata.versions['6'].deletion_time, '');
  assert.deepEqual(before.metadata.custom_metadata, { owner: 'ops', env: 'prod' });
  assert.deepEqual(
    Object.values(before.reads).map((r) => (r as { status: number }).status),
    [200, 404, 200, 404, 200, 404],
  );

  await first.stop();
  const second = await restartOnSameStorage(first, { storage: 'sqlite' });
  servers.push(second);
  await second.unseal();
  const afterRestart = await snapshot(second);
  assert.deepEqual(afterRestart, before);

  // The settings still act: cas is still required, and the next write is version 7.
  const noCas = await second.api('POST', 'kv/data/app', { data: { n: 7 } }, second.rootToken);
  assert.equal(noCas.status, 400);
  const seventh = await call(second, 'POST', 'kv/data/app', { data: { n: 7 }, options: { cas: 6 } });
  assert.equal(seventh.data.version, 7);
  assert.deepEqual(seventh.data.custom_metadata, { owner: 'ops', env: 'prod' });
});
