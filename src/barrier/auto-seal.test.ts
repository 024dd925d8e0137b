import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { InmemBackend } from '../storage/inmem.js';
import { AUTO_SEAL_PATHS, AutoSeal } from './auto-seal.js';
import { Barrier } from './barrier.js';
import type { SealWrapper } from './seal.js';
import { SealWrapperError } from './transit-wrapper.js';

/** A remote seal in memory: AES-GCM under its own key, and a switch to take it down. */
class FakeWrapper implements SealWrapper {
  readonly type = 'transit';
  down = false;
  calls = 0;
  private readonly key = randomBytes(32);

  async encrypt(plaintext: Uint8Array): Promise<string> {
    this.check();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `vault:v1:${body.toString('base64')}`;
  }

  async decrypt(ciphertext: string): Promise<Uint8Array> {
    this.check();
    const body = Buffer.from(ciphertext.split(':')[2], 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, body.subarray(0, 12));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
  }

  describe(): Record<string, string> {
    return { key_name: 'fake' };
  }

  close(): void {}

  private check(): void {
    this.calls++;
    if (this.down)
      throw new SealWrapperError(
        'transit seal: the transit server could not be reached (ECONNREFUSED)',
        false,
      );
  }
}

async function initAutoSeal(shares = 5, threshold = 3) {
  const physical = new InmemBackend();
  const barrier = new Barrier(physical);
  const wrapper = new FakeWrapper();
  const seal = new AutoSeal(physical, barrier, wrapper);
  const result = await seal.initialize({
    secretShares: 0,
    secretThreshold: 0,
    recoveryShares: shares,
    recoveryThreshold: threshold,
  });
  barrier.seal();
  const hex = result.recoveryKeys.map((k) => Buffer.from(k).toString('hex'));
  return { physical, barrier, wrapper, seal, result, hex };
}

describe('auto seal', () => {
  const invalidRecovery = [
    { shares: 0, threshold: 0, error: 'recovery configuration must specify a positive number of shares' },
    {
      shares: 2,
      threshold: 3,
      error: 'invalid recovery configuration: threshold cannot be larger than shares',
    },
    {
      shares: 3,
      threshold: 1,
      error: 'invalid recovery configuration: threshold must be greater than one for multiple shares',
    },
    { shares: 256, threshold: 3, error: 'invalid recovery configuration: shares must be less than 256' },
  ];
  for (const c of invalidRecovery) {
    test(`init refuses ${c.shares} recovery shares with threshold ${c.threshold}`, async () => {
      const physical = new InmemBackend();
      const seal = new AutoSeal(physical, new Barrier(physical), new FakeWrapper());
      await assert.rejects(
        seal.initialize({
          secretShares: 0,
          secretThreshold: 0,
          recoveryShares: c.shares,
          recoveryThreshold: c.threshold,
        }),
        { message: c.error },
      );
      assert.equal(await seal.isInitialized(), false);
    });
  }

  test('init returns recovery keys and no unseal keys; status shows the recovery split', async () => {
    const { seal, result } = await initAutoSeal(5, 3);
    assert.equal(result.keys.length, 0);
    assert.equal(result.recoveryKeys.length, 5);
    const status = await seal.status();
    assert.deepEqual(
      { type: status.type, initialized: status.initialized, sealed: status.sealed, t: status.t, n: status.n },
      { type: 'transit', initialized: true, sealed: true, t: 3, n: 5 },
    );
  });

  test('the root key and recovery key are stored only as the remote seal encrypted them', async () => {
    const { physical } = await initAutoSeal();
    const barrierConfig = JSON.parse(
      Buffer.from((await physical.get(AUTO_SEAL_PATHS.sealConfig))!).toString(),
    );
    assert.deepEqual(barrierConfig, {
      type: 'transit',
      secret_shares: 1,
      secret_threshold: 1,
      stored_shares: 1,
    });
    for (const path of [AUTO_SEAL_PATHS.storedKeys, AUTO_SEAL_PATHS.recoveryKey]) {
      const entry = JSON.parse(Buffer.from((await physical.get(path))!).toString());
      assert.match(entry.ciphertext, /^vault:v1:/);
    }
  });

  test('unseals with the stored keys through the remote seal', async () => {
    const { seal, barrier } = await initAutoSeal();
    await seal.unsealWithStoredKeys();
    assert.equal(barrier.isSealed(), false);
  });

  test('a remote that is down at init writes nothing', async () => {
    const physical = new InmemBackend();
    const wrapper = new FakeWrapper();
    wrapper.down = true;
    const seal = new AutoSeal(physical, new Barrier(physical), wrapper);
    await assert.rejects(
      seal.initialize({ secretShares: 0, secretThreshold: 0, recoveryShares: 1, recoveryThreshold: 1 }),
      /failed to encrypt keys for storage: transit seal/,
    );
    assert.deepEqual(await physical.list(''), []);
  });

  test('a storage failure midway through init leaves a store that can be initialised again', async () => {
    const physical = new InmemBackend();
    let full = true;
    // The disk fills at the recovery configuration, whether written alone or in a transaction.
    const put = physical.put.bind(physical);
    const transaction = physical.transaction.bind(physical);
    const refuses = (key: string) => full && key === AUTO_SEAL_PATHS.recoveryConfig;
    physical.put = async (key, value) => {
      if (refuses(key)) throw new Error('disk full');
      return put(key, value);
    };
    physical.transaction = async (ops) => {
      if (ops.some((op) => refuses(op.key))) throw new Error('disk full');
      return transaction(ops);
    };
    const wrapper = new FakeWrapper();
    const params = { secretShares: 0, secretThreshold: 0, recoveryShares: 1, recoveryThreshold: 1 };
    await assert.rejects(
      new AutoSeal(physical, new Barrier(physical), wrapper).initialize(params),
      /disk full/,
    );
    assert.deepEqual(await physical.list('core/'), [], 'nothing of the failed init is left');
    full = false;
    const barrier = new Barrier(physical);
    const seal = new AutoSeal(physical, barrier, wrapper);
    assert.equal(await seal.isInitialized(), false);
    await seal.initialize(params);
    barrier.seal();
    await seal.unsealWithStoredKeys();
    assert.equal(barrier.isSealed(), false);
  });

  test('with the remote down it stays sealed, and recovery keys do not unseal', async () => {
    const { seal, barrier, wrapper, hex } = await initAutoSeal(3, 2);
    wrapper.down = true;
    await assert.rejects(seal.unsealWithStoredKeys(), /failed to decrypt encrypted stored keys/);
    assert.equal(await seal.submitShare(hex[0]), false);
    await assert.rejects(seal.submitShare(hex[1]), {
      message: /^invalid key: failed to verify recovery key: failed to decrypt encrypted stored keys/,
    });
    assert.equal(barrier.isSealed(), true);
    assert.equal((await seal.status()).progress, 0, 'a failed attempt starts over');
  });

  test('a threshold of recovery keys unseals through the remote; progress and duplicates as Vault', async () => {
    const { seal, barrier, hex } = await initAutoSeal(5, 3);
    assert.equal(await seal.submitShare(hex[0]), false);
    assert.equal(await seal.submitShare(hex[0]), false);
    assert.equal((await seal.status()).progress, 1);
    assert.equal(await seal.submitShare(hex[3]), false);
    assert.equal(await seal.submitShare(hex[4]), true);
    assert.equal(barrier.isSealed(), false);
  });

  test('recovery keys of another server do not match', async () => {
    const { seal, barrier } = await initAutoSeal(1, 1);
    const other = await initAutoSeal(1, 1);
    await assert.rejects(seal.submitShare(other.hex[0]), {
      message: 'invalid key: failed to verify recovery key: recovery key does not match submitted values',
    });
    assert.equal(barrier.isSealed(), true);
  });

  test('recovery keys cannot decrypt the root key: the stored entry is the remote ciphertext', async () => {
    const { physical, hex } = await initAutoSeal(1, 1);
    const stored = Buffer.from((await physical.get(AUTO_SEAL_PATHS.storedKeys))!).toString();
    assert.equal(stored.includes(hex[0]), false);
    assert.equal(stored.includes(Buffer.from(hex[0], 'hex').toString('base64')), false);
  });

  test('refuses storage written by a Shamir seal', async () => {
    const physical = new InmemBackend();
    await physical.put(
      'core/seal-config',
      Buffer.from(JSON.stringify({ type: 'shamir', secret_shares: 1, secret_threshold: 1 })),
    );
    const seal = new AutoSeal(physical, new Barrier(physical), new FakeWrapper());
    await assert.rejects(seal.isInitialized(), {
      message: 'barrier seal type of "shamir" does not match loaded type of "transit"',
    });
  });

  const damagedRecovery = [
    { name: 'threshold 0', config: { type: 'shamir', secret_shares: 3, secret_threshold: 0 } },
    {
      name: 'fewer shares than the threshold',
      config: { type: 'shamir', secret_shares: 2, secret_threshold: 3 },
    },
    { name: 'shares not a number', config: { type: 'shamir', secret_shares: '5', secret_threshold: 3 } },
    { name: 'no type', config: { secret_shares: 5, secret_threshold: 3 } },
  ];
  for (const c of damagedRecovery) {
    test(`a stored recovery configuration with ${c.name} stops the unseal, naming the entry`, async () => {
      const { physical, wrapper, hex } = await initAutoSeal(5, 3);
      await physical.put(AUTO_SEAL_PATHS.recoveryConfig, Buffer.from(JSON.stringify(c.config)));
      // A fresh server on that storage: nothing remembered from init.
      const barrier = new Barrier(physical);
      const seal = new AutoSeal(physical, barrier, wrapper);
      const named = { message: /the recovery configuration \(core\/recovery-config\) is corrupt: / };
      await assert.rejects(seal.status(), named);
      await assert.rejects(seal.unsealWithStoredKeys(), named);
      await assert.rejects(seal.submitShare(hex[0]), named);
      assert.equal(barrier.isSealed(), true);
    });
  }

  test('a root key from the remote that does not open the keyring is named as such, not as a corrupt keyring', async () => {
    const { physical, wrapper, barrier, seal } = await initAutoSeal();
    const otherKey = randomBytes(32);
    await physical.put(
      AUTO_SEAL_PATHS.storedKeys,
      Buffer.from(JSON.stringify({ ciphertext: await wrapper.encrypt(otherKey) })),
    );
    const error = await seal.unsealWithStoredKeys().then(
      () => assert.fail('unsealed with another root key'),
      (e: Error) => e,
    );
    assert.equal(
      error.message,
      'the root key returned by the transit seal does not open the barrier keyring (core/keyring)',
    );
    assert.equal(error.message.includes(otherKey.toString('hex')), false);
    assert.equal(error.message.includes(otherKey.toString('base64')), false);
    assert.equal(barrier.isSealed(), true);
  });
});
