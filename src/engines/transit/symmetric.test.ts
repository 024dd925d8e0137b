import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { mountForTest } from '../../framework/testing.js';
import { createTransitEngine } from './index.js';
import { deriveBytes } from './symmetric.js';

describe('transit key derivation', () => {
  test('deriveBytes is HKDF-SHA256 with no salt: equal to Node hkdfSync wherever that accepts the info', () => {
    const secret = randomBytes(32);
    for (const infoLength of [0, 1, 31, 32, 33, 500, 1024])
      for (const length of [16, 32, 64, 100]) {
        const info = randomBytes(infoLength);
        const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, length));
        assert.deepEqual(deriveBytes(secret, info, length), expected, `info ${infoLength}, length ${length}`);
      }
  });

  test('deriveBytes takes a context above the 1024 bytes Node refuses', () => {
    const secret = randomBytes(32);
    const long = randomBytes(5000);
    assert.throws(() => hkdfSync('sha256', secret, Buffer.alloc(0), long, 32));
    const derived = deriveBytes(secret, long, 64);
    assert.equal(derived.length, 64);
    assert.deepEqual(deriveBytes(secret, long, 64), derived);
    assert.notDeepEqual(deriveBytes(secret, long.subarray(0, 1024), 64), derived);
  });

  for (const [type, extra] of [
    ['aes256-gcm96', {}],
    ['aes256-gcm96', { convergent_encryption: true }],
    ['ed25519', {}],
  ] as const)
    test(`a derived ${type} key ${JSON.stringify(extra)} works with a 2000-byte context`, async () => {
      const t = await mountForTest(createTransitEngine());
      await t.request('update', 'keys/d', { type, derived: true, ...extra });
      const context = randomBytes(2000).toString('base64');
      const input = Buffer.from('payload').toString('base64');
      if (type === 'ed25519') {
        const signed = await t.request('update', 'sign/d', { input, context });
        const signature = signed?.data?.signature;
        const verified = await t.request('update', 'verify/d', { input, context, signature });
        assert.equal(verified?.data?.valid, true);
        return;
      }
      const enc = await t.request('update', 'encrypt/d', { plaintext: input, context });
      const dec = await t.request('update', 'decrypt/d', { ciphertext: enc?.data?.ciphertext, context });
      assert.equal(dec?.data?.plaintext, input);
    });
});
