import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InmemBackend } from '../storage/inmem.js';
import { Barrier } from './barrier.js';
import { ShamirSeal } from './shamir-seal.js';

async function initSeal(shares: number, threshold: number) {
  const physical = new InmemBackend();
  const barrier = new Barrier(physical);
  const seal = new ShamirSeal(physical, barrier);
  const { keys } = await seal.initialize({ secretShares: shares, secretThreshold: threshold });
  barrier.seal();
  return { seal, barrier, keys: keys.map((k) => Buffer.from(k)) };
}

describe('shamir seal', () => {
  const invalidConfigs = [
    { shares: 2, threshold: 3, error: 'threshold cannot be larger than shares' },
    { shares: 3, threshold: 1, error: 'threshold must be greater than one for multiple shares' },
    { shares: 0, threshold: 0, error: 'shares must be at least one' },
    { shares: 1, threshold: 0, error: 'threshold must be at least one' },
    { shares: 256, threshold: 3, error: 'shares must be less than 256' },
  ];
  for (const c of invalidConfigs) {
    test(`init refuses ${c.shares} shares with threshold ${c.threshold}`, async () => {
      const physical = new InmemBackend();
      const seal = new ShamirSeal(physical, new Barrier(physical));
      await assert.rejects(seal.initialize({ secretShares: c.shares, secretThreshold: c.threshold }), {
        message: `invalid seal configuration: ${c.error}`,
      });
      assert.equal(await seal.isInitialized(), false);
    });
  }

  test('1 of 1: the single key unseals', async () => {
    const { seal, barrier, keys } = await initSeal(1, 1);
    assert.equal(await seal.submitShare(keys[0].toString('hex')), true);
    assert.equal(barrier.isSealed(), false);
  });

  test('3 of 5 with hex and base64 shares, duplicates ignored', async () => {
    const { seal, barrier, keys } = await initSeal(5, 3);
    assert.equal(await seal.submitShare(keys[4].toString('hex')), false);
    assert.equal(await seal.submitShare(keys[4].toString('base64')), false);
    assert.equal((await seal.status()).progress, 1);
    assert.equal(await seal.submitShare(keys[1].toString('base64')), false);
    assert.equal(await seal.submitShare(keys[2].toString('hex')), true);
    assert.equal(barrier.isSealed(), false);
  });

  test('a wrong share set fails with the Vault text, resets, then the right shares work', async () => {
    const { seal, barrier, keys } = await initSeal(3, 2);
    const bad = Buffer.from(keys[1]);
    bad[3] ^= 0xff;
    await seal.submitShare(keys[0].toString('hex'));
    await assert.rejects(seal.submitShare(bad.toString('hex')), {
      message:
        'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed',
    });
    assert.equal((await seal.status()).progress, 0);
    await seal.submitShare(keys[0].toString('hex'));
    assert.equal(await seal.submitShare(keys[2].toString('hex')), true);
    assert.equal(barrier.isSealed(), false);
  });

  test('a share shorter than 16 or longer than 33 bytes is refused before it counts', async () => {
    const { seal, keys } = await initSeal(3, 2);
    await assert.rejects(seal.submitShare('AAAA'), { message: 'key is shorter than minimum 16 bytes' });
    await assert.rejects(seal.submitShare(Buffer.alloc(34, 7).toString('hex')), {
      message: 'key is longer than maximum 33 bytes',
    });
    assert.equal((await seal.status()).progress, 0, 'neither counted');
    await seal.submitShare(keys[0].toString('hex'));
    assert.equal(await seal.submitShare(keys[1].toString('hex')), true);
  });

  test('undecodable key text is a 400, unsealed or not', async () => {
    const { seal, keys } = await initSeal(3, 2);
    await assert.rejects(seal.submitShare('not a key!'), {
      message: "'key' must be a valid hex or base64 string",
    });
    await seal.submitShare(keys[0].toString('hex'));
    await seal.submitShare(keys[1].toString('hex'));
    await assert.rejects(seal.submitShare('not a key!'), {
      message: "'key' must be a valid hex or base64 string",
    });
  });
});
