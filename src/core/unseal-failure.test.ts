/**
 * An unseal (or HA takeover) that fails after the engines started stops them again: nothing it started
 * keeps running on a node that is not serving, and a retried unseal does not add to it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defineEngine } from '../framework/engine.js';
import { definePath } from '../framework/path.js';
import { startDevCore } from './testing.js';

/** An engine that counts its running mounts, as a database mount's pools and rotation timer would. */
function countedEngine() {
  const running = { count: 0 };
  const engine = defineEngine({
    type: 'counted',
    help: 'counts its initialized mounts',
    paths: [
      definePath({ pattern: 'ping', operations: { read: async () => ({ data: { ok: true } }) }, help: '' }),
    ],
    initialize: async () => {
      running.count++;
    },
    cleanup: async () => {
      running.count--;
    },
  });
  return { engine, running };
}

test('an unseal that fails on its audit devices stops the engines it started, and a retry starts them once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-unseal-failure-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { engine, running } = countedEngine();
  const { core, rootToken, send, unseal } = await startDevCore({ engines: [engine] });
  await send('update', 'sys/mounts/counted', rootToken, { type: 'counted' });
  const logFolder = join(dir, 'audit');
  await send('update', 'sys/audit/file', rootToken, {
    type: 'file',
    options: { file_path: join(logFolder, 'log') },
  });
  assert.equal(running.count, 1);

  await core.sealVault();
  assert.equal(running.count, 0);
  // The only audit device cannot open at the next unseal: its file's path is now a folder.
  await rm(logFolder, { recursive: true });
  await mkdir(join(logFolder, 'log'), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    await assert.rejects(unseal(), /failed to setup audit table/);
    assert.equal(running.count, 0, `attempt ${attempt + 1} left the mount running`);
    assert.ok(core.isSealed());
  }

  await rm(logFolder, { recursive: true });
  await mkdir(logFolder);
  await unseal();
  assert.equal(running.count, 1);
  assert.deepEqual((await send('read', 'counted/ping', rootToken)).response?.data, { ok: true });
});
