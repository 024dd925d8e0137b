import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Core } from '../core/core.js';
import { lazyRegistry } from '../core/engine-registry.js';
import { builtinEngineLoaders } from '../engines/registry.js';
import { createLogger } from '../framework/log.js';
import { InmemBackend } from '../storage/inmem.js';
import { configFromObject } from './config.js';
import { startServer } from './server.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('storage initialised under Shamir: a seal "transit" block stops the start, as Vault, and writes nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-seal-start-'));
  dirs.push(dir);
  const base = {
    storage: { sqlite: [{ path: join(dir, 'coffer.db') }] },
    listener: { tcp: [{ address: '127.0.0.1:0', tls_disable: true }] },
    log_level: 'error',
  };
  const shamir = await startServer(configFromObject(base));
  await shamir.core.initialize({ secretShares: 1, secretThreshold: 1 });
  await shamir.stop();
  const transit = configFromObject({
    ...base,
    // Nothing listens there: the check must come before any call to the seal.
    seal: {
      transit: [{ address: 'http://127.0.0.1:9', token: 's.x', key_name: 'k', mount_path: 'transit/' }],
    },
  });
  let started: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await assert.rejects(
      (async () => {
        started = await startServer(transit);
      })(),
      {
        message:
          'cannot seal migrate from "shamir" to "transit": the storage was initialised with a shamir seal, and seal migration is not supported',
      },
    );
  } finally {
    await started?.stop();
  }
  // Untouched: the Shamir server still starts and reports its seal.
  const again = await startServer(configFromObject(base));
  try {
    const status = await again.core.seal.status();
    assert.equal(status.type, 'shamir');
    assert.equal(status.initialized, true);
  } finally {
    await again.stop();
  }
});

test("storage initialised under transit: no seal block stops the start with Vault's words", async () => {
  const physical = new InmemBackend();
  await physical.put(
    'core/seal-config',
    Buffer.from(JSON.stringify({ type: 'transit', secret_shares: 1, secret_threshold: 1, stored_shares: 1 })),
  );
  const core = new Core({
    physical,
    log: createLogger('error'),
    registry: lazyRegistry(builtinEngineLoaders),
    defaultLeaseTtl: 3600,
    maxLeaseTtl: 3600,
  });
  await assert.rejects(core.checkSealType(), {
    message: 'cannot seal migrate from "transit" to Shamir, no disabled seal in configuration',
  });
});
