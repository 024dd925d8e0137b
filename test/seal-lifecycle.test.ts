/** Init, unseal, seal, rotate and health against a real server process, as Vault clients see them. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

describe('an uninitialised server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ storage: 'inmem', uninitialized: true });
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('reports itself uninitialised', async () => {
    assert.deepEqual((await server.api('GET', 'sys/init')).body, { initialized: false });
    const health = await server.api('GET', 'sys/health');
    assert.equal(health.status, 501);
    assert.equal(health.body.initialized, false);
    const status = await server.api('GET', 'sys/seal-status');
    assert.equal(status.body.t, 0);
    assert.equal(status.body.n, 0);
    assert.equal(status.body.sealed, true);
    assert.equal((await server.api('GET', 'sys/health?uninitcode=299')).status, 299);
  });

  const invalidInits = [
    {
      name: 'threshold above shares',
      body: { secret_shares: 2, secret_threshold: 3 },
      error: 'threshold cannot be larger than shares',
    },
    {
      name: 'threshold of one with many shares',
      body: { secret_shares: 3, secret_threshold: 1 },
      error: 'threshold must be greater than one for multiple shares',
    },
    {
      name: 'zero shares',
      body: { secret_shares: 0, secret_threshold: 0 },
      error: 'shares must be at least one',
    },
    {
      name: '256 shares',
      body: { secret_shares: 256, secret_threshold: 2 },
      error: 'shares must be less than 256',
    },
  ];
  for (const c of invalidInits) {
    test(`init refuses ${c.name}`, async () => {
      const res = await server.api('PUT', 'sys/init', c.body);
      assert.equal(res.status, 400);
      assert.match(res.body.errors[0], new RegExp(c.error));
      assert.deepEqual((await server.api('GET', 'sys/init')).body, { initialized: false });
    });
  }

  test('init, then unseal with progress, duplicates, a wrong share and reset', async () => {
    const init = await server.api('POST', 'sys/init', { secret_shares: 5, secret_threshold: 3 });
    assert.equal(init.status, 200);
    assert.equal(init.body.keys.length, 5);
    assert.equal(init.body.keys_base64.length, 5);
    assert.match(init.body.root_token, /^hvs\./);
    assert.equal(Buffer.from(init.body.keys[0], 'hex').toString('base64'), init.body.keys_base64[0]);
    assert.equal(
      (await server.api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })).body.errors[0],
      'Vault is already initialized',
    );

    const sealed = await server.api('GET', 'sys/policy', undefined, init.body.root_token);
    assert.equal(sealed.status, 503);
    assert.deepEqual(sealed.body, { errors: ['Vault is sealed'] });
    assert.equal((await server.api('GET', 'sys/health')).status, 503);

    const missing = await server.api('PUT', 'sys/unseal', {});
    assert.equal(missing.status, 400);
    assert.equal(
      missing.body.errors[0],
      "'key' must be specified in request body as JSON, or 'reset' set to true",
    );
    assert.equal((await server.api('PUT', 'sys/unseal', { key: 'not hex or base64!' })).status, 400);

    let step = await server.api('PUT', 'sys/unseal', { key: init.body.keys[0] });
    assert.equal(step.body.progress, 1);
    const nonce = step.body.nonce;
    assert.ok(nonce);
    step = await server.api('PUT', 'sys/unseal', { key: init.body.keys_base64[0] });
    assert.equal(step.body.progress, 1, 'the same share in base64 is a duplicate');
    step = await server.api('PUT', 'sys/unseal', { reset: true });
    assert.equal(step.body.progress, 0);

    // Three shares where one is corrupt: the attempt fails and starts over.
    const corrupt = Buffer.from(init.body.keys[2], 'hex');
    corrupt[5] ^= 0xff;
    await server.api('PUT', 'sys/unseal', { key: init.body.keys[0] });
    await server.api('PUT', 'sys/unseal', { key: init.body.keys[1] });
    const wrong = await server.api('PUT', 'sys/unseal', { key: corrupt.toString('hex') });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.errors[0], /failed to decrypt keys from storage/);
    assert.equal((await server.api('GET', 'sys/seal-status')).body.progress, 0);

    for (const key of [init.body.keys[4], init.body.keys_base64[1]])
      await server.api('PUT', 'sys/unseal', { key });
    const done = await server.api('PUT', 'sys/unseal', { key: init.body.keys[3] });
    assert.equal(done.body.sealed, false);
    assert.equal(done.body.t, 3);
    assert.equal(done.body.n, 5);
    assert.ok(done.body.cluster_id);
    assert.equal(
      (await server.api('PUT', 'sys/unseal', { reset: true })).body.errors[0],
      'vault is unsealed',
    );

    const health = await server.api('GET', 'sys/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.sealed, false);
    assert.equal(health.body.standby, false);
    assert.ok(health.body.cluster_id);
    assert.ok(Math.abs(health.body.server_time_utc - Date.now() / 1000) < 5);

    const token = init.body.root_token;
    const sealNow = await server.api('PUT', 'sys/seal', undefined, token);
    assert.equal(sealNow.status, 204);
    assert.equal((await server.api('GET', 'sys/seal-status')).body.sealed, true);
    // The same second as the answer above: health reflects the seal at once, not a kept answer.
    const sealedHealth = await server.api('GET', 'sys/health');
    assert.equal(sealedHealth.status, 503);
    assert.equal(sealedHealth.body.sealed, true);
    assert.equal(sealedHealth.body.cluster_id, undefined);
  });
});

describe('an unsealed server', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer({ storage: 'inmem' });
    token = server.rootToken;
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  const healthCases = [
    { query: '', status: 200 },
    { query: '?activecode=204', status: 204 },
    { query: '?standbyok=true', status: 200 },
    { query: '?sealedcode=299&uninitcode=299', status: 200 },
    { query: '?activecode=abc', status: 400 },
    { query: '?standbyok=maybe', status: 400 },
  ];
  for (const c of healthCases) {
    test(`sys/health${c.query || ' with no parameters'} answers ${c.status}`, async () => {
      assert.equal((await server.api('GET', `sys/health${c.query}`)).status, c.status);
    });
  }

  test('HEAD sys/health sends the status only', async () => {
    const res = await fetch(`${server.address}/v1/sys/health?activecode=202`, { method: 'HEAD' });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '');
  });

  test('sys/leader without HA', async () => {
    const res = await server.api('GET', 'sys/leader');
    assert.equal(res.status, 200);
    assert.equal(res.body.ha_enabled, false);
  });

  test('rotate adds a key term and the old data stays readable', async () => {
    await server.api(
      'PUT',
      'sys/policy/before-rotate',
      { policy: 'path "a/*" {\n  capabilities = ["read"]\n}\n' },
      token,
    );
    const before = await server.api('GET', 'sys/key-status', undefined, token);
    assert.equal(before.body.data.term, 1);
    assert.equal((await server.api('PUT', 'sys/rotate', undefined, token)).status, 204);
    const afterRotate = await server.api('GET', 'sys/key-status', undefined, token);
    assert.equal(afterRotate.body.data.term, 2);
    assert.equal(afterRotate.body.term, 2, 'sys/key-status copies data to the top level');
    const policy = await server.api('GET', 'sys/policy/before-rotate', undefined, token);
    assert.equal(policy.status, 200);
    assert.match(policy.body.data.rules, /capabilities/);
  });

  test('tools: random bytes and hashes', async () => {
    const random = await server.api('POST', 'sys/tools/random/16', { format: 'hex' }, token);
    assert.equal(random.status, 200);
    assert.match(random.body.data.random_bytes, /^[0-9a-f]{32}$/);
    const big = await server.api('POST', 'sys/tools/random', { bytes: 1 << 20 }, token);
    assert.equal(big.status, 400);
    const hash = await server.api(
      'POST',
      'sys/tools/hash/sha2-256',
      { input: Buffer.from('coffer').toString('base64') },
      token,
    );
    const expected = createHash('sha256').update('coffer').digest('hex');
    assert.equal(hash.body.data.sum, expected);
    assert.equal((await server.api('POST', 'sys/tools/hash', { input: 'not base64!' }, token)).status, 400);
  });
});

describe('D4: keyring rotation across restarts', () => {
  test('three rotations under writes, a restart: every value readable, counts and sys/rotate/config kept', async () => {
    const first = await startTestServer({ storage: 'sqlite' });
    try {
      const root = first.rootToken;
      const call = (s: TestServer, method: string, path: string, body?: unknown) =>
        s.api(method, path, body, root);
      assert.equal((await call(first, 'POST', 'sys/mounts/kv', { type: 'kv-v1' })).status, 204);
      const config = await call(first, 'GET', 'sys/rotate/config');
      assert.deepEqual(config.body.data, { max_operations: 3865470566, enabled: true, interval: 0 });
      for (const [body, error] of [
        [{ max_operations: 10 }, 'max_operations must be in the range [1000000,3865470566]'],
        [{ interval: '1h' }, 'interval must be greater or equal to 24h0m0s'],
      ] as const) {
        const refused = await call(first, 'POST', 'sys/rotate/config', body);
        assert.equal(refused.status, 400, refused.text);
        assert.deepEqual(refused.body.errors, [error]);
      }
      const set = { max_operations: 2_000_000, interval: '2160h', enabled: false };
      assert.equal((await call(first, 'POST', 'sys/rotate/config', set)).status, 204);
      // Writes run on while the key rotates three times.
      let n = 0;
      const writer = (async () => {
        for (; n < 150; n++) assert.equal((await call(first, 'PUT', `kv/k${n}`, { v: `${n}` })).status, 204);
      })();
      for (let i = 0; i < 3; i++) assert.equal((await call(first, 'PUT', 'sys/rotate')).status, 204);
      await writer;
      const status = (await call(first, 'GET', 'sys/key-status')).body.data;
      assert.equal(status.term, 4);
      // A few more writes under term 4, so there is a count to carry over.
      for (let i = 0; i < 5; i++) await call(first, 'PUT', `kv/after${i}`, { v: 'x' });
      const counted = (await call(first, 'GET', 'sys/key-status')).body.data.encryptions;
      assert.ok(counted >= 5, `${counted} encryptions under term 4`);
      await first.stop();
      const second = await restartOnSameStorage(first);
      try {
        await second.unseal();
        for (let i = 0; i < 150; i++)
          assert.equal((await call(second, 'GET', `kv/k${i}`)).body.data.v, `${i}`, `kv/k${i}`);
        const after = (await call(second, 'GET', 'sys/key-status')).body.data;
        assert.equal(after.term, 4);
        assert.ok(
          after.encryptions >= counted,
          `the count carries on after the restart: ${after.encryptions}`,
        );
        const kept = await call(second, 'GET', 'sys/rotate/config');
        assert.deepEqual(kept.body.data, { max_operations: 2000000, enabled: false, interval: '2160h0m0s' });
      } finally {
        await second.stop();
      }
    } finally {
      await removeServerDir(first);
    }
  });
});
