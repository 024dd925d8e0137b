/** `status` and `operator …` against a recording fake: requests sent, output and exit codes. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli } from '../testing.js';

let fake: FakeVault;
let sealed = false;
let env: Record<string, string>;

const sealStatus = () => ({
  type: 'shamir',
  initialized: true,
  sealed,
  t: 3,
  n: 5,
  progress: sealed ? 1 : 0,
  nonce: sealed ? 'nonce-1' : '',
  version: '0.1.0',
  build_date: '2024-08-01T12:00:00Z',
  migration: false,
  recovery_seal: false,
  storage_type: 'sqlite',
});

before(async () => {
  fake = await startFakeVault({
    'GET sys/seal-status': () => ({ body: sealStatus() }),
    'GET sys/leader': () =>
      sealed
        ? { status: 503, body: { errors: ['Vault is sealed'] } }
        : {
            body: {
              ha_enabled: false,
              is_self: false,
              active_time: '0001-01-01T00:00:00Z',
              leader_address: '',
            },
          },
    'GET sys/init': { body: { initialized: false } },
    'PUT sys/init': {
      body: { keys: ['aa', 'bb'], keys_base64: ['qg==', 'uw=='], root_token: 'hvs.root' },
    },
    'PUT sys/unseal': () => ({ body: sealStatus() }),
    'PUT sys/seal': { status: 204 },
    'PUT sys/rotate': { status: 204 },
    'GET sys/key-status': {
      body: envelope({ data: { term: 2, install_time: '2024-05-01T10:07:00.5Z', encryptions: 17 } }),
    },
  });
  env = { VAULT_ADDR: fake.address, VAULT_TOKEN: 'hvs.root' };
});
after(() => fake.close());
beforeEach(() => {
  sealed = false;
  fake.requests.length = 0;
});

describe('status', () => {
  test('unsealed: the vault table, exit 0, seal-status then leader', async () => {
    const r = await runCli(['status'], { env });
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'Key             Value',
        '---             -----',
        'Seal Type       shamir',
        'Initialized     true',
        'Sealed          false',
        'Total Shares    5',
        'Threshold       3',
        'Version         0.1.0',
        'Build Date      2024-08-01T12:00:00Z',
        'Storage Type    sqlite',
        'HA Enabled      false',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      fake.requests.map((q) => `${q.method} ${q.path}`),
      ['GET sys/seal-status', 'GET sys/leader'],
    );
    assert.equal(fake.requests[0].headers['x-vault-request'], 'true');
  });

  test('sealed: progress and nonce shown, exit 2', async () => {
    sealed = true;
    const r = await runCli(['status'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /Unseal Progress {4}1\/3\nUnseal Nonce {7}nonce-1\n/);
  });

  test('-format=json merges the leader fields after the seal status', async () => {
    const r = await runCli(['status', '-format=json'], { env });
    const json = JSON.parse(r.stdout);
    assert.equal(json.sealed, false);
    assert.equal(json.ha_enabled, false);
    assert.deepEqual(Object.keys(json).slice(0, 3), ['type', 'initialized', 'sealed']);
  });

  test('an unreachable server is exit 1 (2 means sealed here)', async () => {
    const r = await runCli(['status'], { env: { VAULT_ADDR: 'http://127.0.0.1:1' } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Error checking seal status: Get "http:\/\/127\.0\.0\.1:1\/v1\/sys\/seal-status": dial tcp/,
    );
  });
});

describe('operator', () => {
  test('init sends the shares and threshold and prints the keys and root token', async () => {
    const r = await runCli(['operator', 'init', '-key-shares=2', '-key-threshold=2'], { env });
    assert.equal(r.code, 0);
    const req = fake.requests.at(-1)!;
    assert.equal(`${req.method} ${req.path}`, 'PUT sys/init');
    assert.deepEqual(req.body, { secret_shares: 2, secret_threshold: 2 });
    assert.match(r.stdout, /^Unseal Key 1: qg==\nUnseal Key 2: uw==\n\nInitial Root Token: hvs\.root\n/);
  });

  test('init defaults to 5 shares, threshold 3; -format=json prints the machine shape', async () => {
    const r = await runCli(['operator', 'init', '-format=json'], { env });
    assert.deepEqual(fake.requests.at(-1)!.body, { secret_shares: 5, secret_threshold: 3 });
    assert.deepEqual(JSON.parse(r.stdout), {
      unseal_keys_b64: ['qg==', 'uw=='],
      unseal_keys_hex: ['aa', 'bb'],
      unseal_shares: 5,
      unseal_threshold: 3,
      recovery_keys_b64: [],
      recovery_keys_hex: [],
      recovery_keys_shares: 0,
      recovery_keys_threshold: 0,
      root_token: 'hvs.root',
    });
  });

  test('init -status exits 2 when not initialised', async () => {
    const r = await runCli(['operator', 'init', '-status'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, 'Vault is not initialized\n');
  });

  test('unseal KEY sends the key and prints the seal status', async () => {
    sealed = true;
    const r = await runCli(['operator', 'unseal', 'abcd'], { env });
    assert.equal(r.code, 0);
    const req = fake.requests.find((q) => q.path === 'sys/unseal')!;
    assert.equal(req.method, 'PUT');
    assert.deepEqual(req.body, { key: 'abcd', reset: false, migrate: false });
    assert.match(r.stdout, /Sealed {13}true/);
  });

  test('unseal without KEY reads one line from stdin when it is not a terminal', async () => {
    const r = await runCli(['operator', 'unseal'], { env, stdin: 'from-stdin\nignored\n' });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Unseal Key \(will be hidden\): \n/);
    assert.equal(fake.requests.find((q) => q.path === 'sys/unseal')!.body.key, 'from-stdin');
  });

  test('unseal -reset sends reset', async () => {
    sealed = true;
    await runCli(['operator', 'unseal', '-reset'], { env });
    assert.deepEqual(fake.requests.find((q) => q.path === 'sys/unseal')!.body, { reset: true });
  });

  test('seal, rotate and key-status', async () => {
    let r = await runCli(['operator', 'seal'], { env });
    assert.equal(r.stdout, 'Success! Vault is sealed.\n');
    r = await runCli(['operator', 'rotate'], { env });
    assert.equal(
      r.stdout,
      'Success! Rotated key\n\nKey Term            2\nInstall Time        01 May 24 10:07 UTC\nEncryption Count    17\n',
    );
    assert.deepEqual(
      fake.requests.map((q) => `${q.method} ${q.path}`),
      ['PUT sys/seal', 'PUT sys/rotate', 'GET sys/key-status'],
    );
    r = await runCli(['operator', 'key-status', '-format=json'], { env });
    assert.deepEqual(JSON.parse(r.stdout), {
      term: 2,
      install_time: '2024-05-01T10:07:00.5Z',
      encryptions: 17,
    });
  });

  test('too many arguments is a usage error, exit 1', async () => {
    const r = await runCli(['operator', 'seal', 'extra'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Too many arguments (expected 0, got 1)\n');
  });
});
