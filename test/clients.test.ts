/** Third-party clients work unchanged: node-vault (npm) drives init, unseal, status and health. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodeVault from 'node-vault';
import { registerCanary } from './helpers/canary.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ storage: 'inmem', uninitialized: true });
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

test('node-vault: init, unseal, status, health', async () => {
  const vault = nodeVault({ endpoint: server.address, apiVersion: 'v1' });
  assert.equal((await vault.initialized()).initialized, false);
  const init = await vault.init({ secret_shares: 3, secret_threshold: 2 });
  assert.equal(init.keys.length, 3);
  for (const secret of [init.root_token, ...init.keys]) registerCanary(secret, 'init'); // for the K1 sweep
  vault.token = init.root_token;
  assert.equal((await vault.status()).sealed, true);
  await vault.unseal({ secret_shares: 1, key: init.keys[0] });
  const unsealed = await vault.unseal({ secret_shares: 1, key: init.keys[1] });
  assert.equal(unsealed.sealed, false);
  const health = await vault.health();
  assert.equal(health.initialized, true);
  assert.equal(health.sealed, false);
  const policies = await vault.policies();
  assert.ok(policies.policies.includes('default'));
});
