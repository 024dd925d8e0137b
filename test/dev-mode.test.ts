/** `npm start` (coffer server -dev): a working address and root token, and the CLI logged in as root. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, spawnServer } from './helpers/server.js';

// Start-up time is measured by the `cold-start` benchmark, not asserted here.
test('dev mode prints an address and a root token that work, and stores it for the CLI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-dev-'));
  const tokenPath = join(dir, 'vault-token');
  const { child, address, output } = await spawnServer(
    ['-dev', '-dev-listen-address=127.0.0.1:0', '-dev-root-token-id=dev-root'],
    { COFFER_TOKEN_PATH: tokenPath },
  );
  try {
    assert.match(output(), /Root Token: dev-root/);
    const lookup = await api(address, 'GET', 'auth/token/lookup-self', undefined, 'dev-root');
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.body.data.policies, ['root']);
    const mounts = await api(address, 'GET', 'sys/mounts', undefined, 'dev-root');
    assert.equal(mounts.body.data['secret/'].options.version, '2');
    assert.equal(await readFile(tokenPath, 'utf8'), 'dev-root');
    assert.equal((await stat(tokenPath)).mode & 0o777, 0o600);
    // As Vault's dev server: the web UI is on, and / leads to it.
    const root = await fetch(`${address}/`, { redirect: 'manual' });
    assert.equal(root.headers.get('location'), '/ui/');
    const ui = await fetch(`${address}/ui/`);
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  } finally {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
});
