/**
 * `seal "transit"` end to end (SECURITY D6, K3): a dev Coffer holds the transit key; a sqlite Coffer
 * configured with the transit seal reaches it through a FaultProxy, and is initialised, restarted,
 * sealed, cut off from its seal and given a wrong key name or a revoked token.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from './helpers/eventually.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import {
  removeServerDir,
  restartOnSameStorage,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from './helpers/server.js';

const POLICY = `
path "transit/encrypt/autounseal" { capabilities = ["update"] }
path "transit/decrypt/autounseal" { capabilities = ["update"] }
`;

describe('seal "transit" auto-unseal', () => {
  let transit: TestServer;
  let proxy: FaultProxy;
  let server: TestServer;
  let sealToken = '';
  let recoveryKeys: string[] = [];
  let rootToken = '';
  /** Every error body the sealed server sent, searched for the token at the end. */
  const errorBodies: string[] = [];

  const options = (keyName = 'autounseal'): TestServerOptions => ({
    storage: 'sqlite',
    uninitialized: true,
    env: { VAULT_TRANSIT_SEAL_TOKEN: sealToken },
    extraConfig: `
seal "transit" {
  address    = "http://127.0.0.1:${proxy.port}"
  key_name   = "${keyName}"
  mount_path = "transit/"
}
`,
  });
  const status = async () => (await server.api('GET', 'sys/seal-status')).body;
  const restart = async (keyName?: string) => {
    await server.stop();
    server = await restartOnSameStorage(server, options(keyName));
  };
  const unsealWith = async (keys: string[]) => {
    let last: Awaited<ReturnType<TestServer['api']>> | undefined;
    for (const key of keys) {
      last = await server.api('PUT', 'sys/unseal', { key });
      if (last.status !== 200) errorBodies.push(last.text);
    }
    return last!;
  };

  before(async () => {
    transit = await startTestServer({ dev: true });
    const root = transit.rootToken;
    for (const [path, body] of [
      ['sys/mounts/transit', { type: 'transit' }],
      ['transit/keys/autounseal', {}],
      ['sys/policy/autounseal', { policy: POLICY }],
    ] as const) {
      const res = await transit.api('POST', path, body, root);
      assert.ok(res.status < 300, `${path}: ${res.text}`);
    }
    const created = await transit.api(
      'POST',
      'auth/token/create',
      { policies: ['autounseal'], ttl: '1h' },
      root,
    );
    sealToken = created.body.auth.client_token;
    proxy = await new FaultProxy(Number(new URL(transit.address).port)).start();
    server = await startTestServer(options());
  });
  after(async () => {
    await server?.stop();
    await transit?.stop();
    await proxy?.close();
    if (server) await removeServerDir(server);
    if (transit) await removeServerDir(transit);
  });

  test('before init: seal-status names the transit seal and its recovery keys', async () => {
    const body = await status();
    assert.equal(body.type, 'transit');
    assert.equal(body.initialized, false);
    assert.equal(body.sealed, true);
    assert.equal(body.recovery_seal, true);
    assert.equal(body.recovery_seal_type, 'shamir');
  });

  test('init refuses unseal-key parameters, as Vault', async () => {
    const res = await server.api('PUT', 'sys/init', { secret_shares: 5, secret_threshold: 3 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors, [
      'parameters secret_shares,secret_threshold not applicable to seal type transit',
    ]);
    const none = await server.api('PUT', 'sys/init', {});
    assert.equal(none.status, 400);
    assert.deepEqual(none.body.errors, ['recovery configuration must specify a positive number of shares']);
  });

  test('init returns recovery keys and no unseal keys, and the server is unsealed at once', async () => {
    const res = await server.api('PUT', 'sys/init', { recovery_shares: 5, recovery_threshold: 3 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body), [
      'keys',
      'keys_base64',
      'recovery_keys',
      'recovery_keys_base64',
      'root_token',
    ]);
    assert.deepEqual(res.body.keys, []);
    assert.equal(res.body.recovery_keys.length, 5);
    assert.equal(
      Buffer.from(res.body.recovery_keys[0], 'hex').toString('base64'),
      res.body.recovery_keys_base64[0],
    );
    recoveryKeys = res.body.recovery_keys;
    rootToken = res.body.root_token;
    const body = await status();
    assert.deepEqual(
      [body.type, body.initialized, body.sealed, body.t, body.n, body.recovery_seal],
      ['transit', true, false, 3, 5, true],
    );
    assert.equal((await server.api('POST', 'sys/mounts/kv', { type: 'kv' }, rootToken)).status, 204);
    assert.equal((await server.api('PUT', 'kv/app', { password: 'CANARY_kv_value' }, rootToken)).status, 204);
  });

  test('a restart unseals by itself, through the transit server', async () => {
    await restart();
    await eventually(async () => (await status()).sealed === false, 15_000, 'auto-unseal after restart');
    const read = await server.api('GET', 'kv/app', undefined, rootToken);
    assert.equal(read.body.data.password, 'CANARY_kv_value');
  });

  test('after sys/seal it stays sealed; a threshold of recovery keys unseals it again (Vault)', async () => {
    assert.equal((await server.api('PUT', 'sys/seal', undefined, rootToken)).status, 204);
    await sleep(1500);
    assert.equal((await status()).sealed, true, 'no auto-unseal after a manual seal');
    const first = await unsealWith(recoveryKeys.slice(0, 2));
    assert.deepEqual([first.body.sealed, first.body.progress, first.body.t], [true, 2, 3]);
    const done = await unsealWith(recoveryKeys.slice(2, 3));
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.sealed, false);
  });

  test('transit server down at start: stays sealed (503), recovery keys do not unseal, and it unseals once the seal is back', async () => {
    proxy.setMode('refuse');
    await restart();
    await sleep(1500);
    assert.equal((await status()).sealed, true);
    const refused = await server.api('GET', 'sys/policy', undefined, rootToken);
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.body, { errors: ['Vault is sealed'] });
    const attempt = await unsealWith(recoveryKeys.slice(0, 3));
    assert.equal(attempt.status, 400);
    assert.match(
      attempt.body.errors[0],
      /^invalid key: failed to verify recovery key: .*could not be reached/,
    );
    assert.equal((await status()).sealed, true);
    assert.match(
      server.output(),
      /failed to unseal core.*could not be reached \((ECONNRESET|ECONNREFUSED|EPIPE)\)/,
    );
    proxy.setMode('pass');
    const took = await eventually(async () => (await status()).sealed === false, 15_000, 'unseal once back');
    assert.ok(took < 15_000);
  });

  test('a wrong key_name: stays sealed, with a clear log line', async () => {
    await restart('no-such-key');
    await eventually(
      async () => /failed to unseal core.*decrypt was refused/.test(server.output()),
      10_000,
      'log line for the wrong key',
    );
    assert.equal((await status()).sealed, true);
  });

  test('a revoked token: stays sealed, with a clear log line', async () => {
    const revoked = await transit.api('POST', 'auth/token/revoke', { token: sealToken }, transit.rootToken);
    assert.equal(revoked.status, 204);
    await restart();
    await eventually(
      async () => /failed to unseal core.*decrypt was refused \(HTTP 403\)/.test(server.output()),
      10_000,
      'log line for the revoked token',
    );
    assert.equal((await status()).sealed, true);
    const attempt = await unsealWith(recoveryKeys.slice(0, 3));
    assert.equal(attempt.status, 400);
  });

  test('the transit token is in no process listing, log or error body', async () => {
    const cmdline = await readFile(`/proc/${server.process.pid}/cmdline`, 'utf8');
    assert.equal(cmdline.includes(sealToken), false);
    assert.equal(server.output().includes(sealToken), false);
    assert.ok(errorBodies.length > 0);
    for (const body of errorBodies) assert.equal(body.includes(sealToken), false, body);
    const hex = Buffer.from(sealToken).toString('hex');
    const b64 = Buffer.from(sealToken).toString('base64');
    for (const form of [hex, b64]) assert.equal(server.output().includes(form), false);
  });
});
