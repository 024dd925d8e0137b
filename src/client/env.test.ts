/** Environment resolution and the token helper file, under a temporary HOME. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { configFromEnv, DEFAULT_ADDRESS, fromEnv } from './env.js';
import { eraseTokenFile, readTokenFile, storeTokenFile, tokenFilePath } from './token-helper.js';

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'coffer-env-'));
});
after(() => rm(home, { recursive: true, force: true }));

test('the default address is https on the loopback, as in vault', () => {
  assert.equal(DEFAULT_ADDRESS, 'https://127.0.0.1:8200');
  assert.equal(configFromEnv({}).address, DEFAULT_ADDRESS);
});

test('COFFER_* wins over VAULT_*; the agent address wins over the server address', () => {
  assert.equal(configFromEnv({ VAULT_ADDR: 'http://v:1', COFFER_ADDR: 'http://c:2' }).address, 'http://c:2');
  assert.equal(
    configFromEnv({ VAULT_ADDR: 'http://v:1', VAULT_AGENT_ADDR: 'http://a:3' }).address,
    'http://a:3',
  );
  assert.equal(configFromEnv({ VAULT_TOKEN: 'v', COFFER_TOKEN: 'c' }).token, 'c');
});

test('TLS, namespace, wrap TTL, format, timeout and retries are read', () => {
  const settings = configFromEnv({
    VAULT_CACERT: '/ca.pem',
    VAULT_SKIP_VERIFY: 'true',
    VAULT_NAMESPACE: 'ns1',
    VAULT_WRAP_TTL: '5m',
    VAULT_FORMAT: 'json',
    VAULT_CLIENT_TIMEOUT: '10',
    VAULT_MAX_RETRIES: '3',
  });
  assert.equal(settings.caCert, '/ca.pem');
  assert.equal(settings.tlsSkipVerify, true);
  assert.equal(settings.namespace, 'ns1');
  assert.equal(settings.wrapTtl, '5m');
  assert.equal(settings.format, 'json');
  assert.equal(settings.timeoutMs, 10_000);
  assert.equal(settings.maxRetries, 3);
});

test('a malformed VAULT_SKIP_VERIFY is an error naming the variable', () => {
  assert.throws(() => configFromEnv({ VAULT_SKIP_VERIFY: 'maybe' }), /could not parse VAULT_SKIP_VERIFY/);
});

test('the token file is ~/.vault-token, trimmed; VAULT_TOKEN wins over it', async () => {
  const env = { HOME: home, VAULT_ADDR: 'http://127.0.0.1:1' };
  assert.equal(tokenFilePath(env), join(home, '.vault-token'));
  assert.equal(fromEnv(env).token, undefined);
  await writeFile(join(home, '.vault-token'), 'hvs.fromfile\n');
  assert.equal(fromEnv(env).token, 'hvs.fromfile');
  assert.equal(fromEnv({ ...env, VAULT_TOKEN: 'hvs.env' }).token, 'hvs.env');
  assert.equal(tokenFilePath({ HOME: home, COFFER_TOKEN_PATH: '/elsewhere' }), '/elsewhere');
});

test('storing a token writes mode 0600 atomically; erasing removes it', async () => {
  const path = join(home, 'stored-token');
  await writeFile(path, 'old', { mode: 0o644 });
  await storeTokenFile(path, 'hvs.new');
  assert.equal(await readFile(path, 'utf8'), 'hvs.new');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  await eraseTokenFile(path);
  assert.equal(readTokenFile(path), undefined);
});
