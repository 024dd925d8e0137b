/** `npm start` (coffer server -dev): a working address and root token printed within 3 seconds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, spawnServer } from './helpers/server.js';

test('dev mode prints an address and a root token that work, within 3 seconds', async () => {
  const started = Date.now();
  const { child, address, output } = await spawnServer([
    '-dev',
    '-dev-listen-address=127.0.0.1:0',
    '-dev-root-token-id=dev-root',
  ]);
  try {
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    assert.match(output(), /Root Token: dev-root/);
    const lookup = await api(address, 'GET', 'auth/token/lookup-self', undefined, 'dev-root');
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.policies, ['root']);
    const mounts = await api(address, 'GET', 'sys/mounts', undefined, 'dev-root');
    assert.equal(mounts.body.data['secret/'].options.version, '2');
  } finally {
    child.kill('SIGTERM');
  }
});
