import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createTransitEngine } from './index.js';
import type { TransitKey } from './store.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const mount = () => mountForTest(createTransitEngine());

describe('transit rewrap, datakey, hmac, sign, random, hash', () => {
  test('rewrap moves a ciphertext to the latest version without changing its plaintext', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const v1 = (await t.request('update', 'encrypt/k', { plaintext: b64('data') }))?.data?.ciphertext;
    await t.request('update', 'keys/k/rotate');
    const re = await t.request('update', 'rewrap/k', { ciphertext: v1 });
    assert.match(re?.data?.ciphertext as string, /^vault:v2:/);
    assert.equal(
      (await t.request('update', 'decrypt/k', { ciphertext: re?.data?.ciphertext }))?.data?.plaintext,
      b64('data'),
    );
  });

  test('datakey: plaintext and wrapped forms; the wrapped key decrypts to the plaintext one', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const plain = await t.request('update', 'datakey/plaintext/k', { bits: 512 });
    assert.equal(Buffer.from(plain?.data?.plaintext as string, 'base64').length, 64);
    const dec = await t.request('update', 'decrypt/k', { ciphertext: plain?.data?.ciphertext });
    assert.equal(dec?.data?.plaintext, plain?.data?.plaintext);
    const wrapped = await t.request('update', 'datakey/wrapped/k');
    assert.equal(wrapped?.data?.plaintext, undefined);
    assert.equal(
      (await rejection(t.request('update', 'datakey/other/k'))).message,
      'Invalid path, must be "plaintext" or "wrapped"',
    );
    assert.equal(
      (await rejection(t.request('update', 'datakey/wrapped/k', { bits: 100 }))).message,
      'invalid bits value',
    );
  });

  test('hmac uses the version HMAC key, verifies, and rejects a changed MAC', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const out = await t.request('update', 'hmac/k/sha2-512', { input: b64('msg') });
    const stored = (await t.ctx.storage.getJson<TransitKey>('policy/k'))!;
    const expected = createHmac('sha512', Buffer.from(stored.versions['1'].hmacKey!, 'base64'))
      .update('msg')
      .digest('base64');
    assert.equal(out?.data?.hmac, `vault:v1:${expected}`);
    const ok = await t.request('update', 'verify/k/sha2-512', { input: b64('msg'), hmac: out?.data?.hmac });
    assert.equal(ok?.data?.valid, true);
    const bad = await t.request('update', 'verify/k/sha2-512', { input: b64('msg!'), hmac: out?.data?.hmac });
    assert.equal(bad?.data?.valid, false);
    await t.request('update', 'keys/h', { type: 'hmac' });
    assert.match(
      (await t.request('update', 'hmac/h', { input: b64('m') }))?.data?.hmac as string,
      /^vault:v1:/,
    );
  });

  for (const [type, extra] of [
    ['ed25519', {}],
    ['ecdsa-p256', {}],
    ['ecdsa-p384', { marshaling_algorithm: 'jws', hash_algorithm: 'sha2-384' }],
    ['rsa-2048', {}],
    ['rsa-2048', { signature_algorithm: 'pkcs1v15' }],
  ] as const) {
    test(`sign and verify with ${type} ${JSON.stringify(extra)}`, async () => {
      const t = await mount();
      await t.request('update', 'keys/s', { type });
      const signed = await t.request('update', 'sign/s', { input: b64('payload'), ...extra });
      const signature = signed?.data?.signature as string;
      assert.match(signature, /^vault:v1:/);
      const good = await t.request('update', 'verify/s', { input: b64('payload'), signature, ...extra });
      assert.equal(good?.data?.valid, true);
      const bad = await t.request('update', 'verify/s', { input: b64('payloaD'), signature, ...extra });
      assert.equal(bad?.data?.valid, false);
    });
  }

  test('a derived ed25519 key signs per context and needs one', async () => {
    const t = await mount();
    await t.request('update', 'keys/d', { type: 'ed25519', derived: true });
    const sig = (await t.request('update', 'sign/d', { input: b64('x'), context: b64('a') }))?.data
      ?.signature;
    assert.equal(
      (await t.request('update', 'verify/d', { input: b64('x'), context: b64('a'), signature: sig }))?.data
        ?.valid,
      true,
    );
    assert.equal(
      (await t.request('update', 'verify/d', { input: b64('x'), context: b64('b'), signature: sig }))?.data
        ?.valid,
      false,
    );
    assert.equal((await rejection(t.request('update', 'sign/d', { input: b64('x') }))).status, 400);
  });

  test('a derived ed25519 signature comes with the public key of its context, as in Vault', async () => {
    const t = await mount();
    await t.request('update', 'keys/d', { type: 'ed25519', derived: true });
    const context = b64('a');
    const read = (await t.request('read', 'keys/d', { context }))?.data?.keys as Record<
      string,
      { public_key: string }
    >;
    const single = await t.request('update', 'sign/d', { input: b64('x'), context });
    assert.equal(single?.data?.public_key, read['1'].public_key);
    const batch = await t.request('update', 'sign/d', { batch_input: [{ input: b64('x'), context }] });
    const [item] = (batch?.data?.batch_results ?? []) as { publickey: string }[];
    assert.equal(item.publickey, read['1'].public_key, 'Vault names it publickey in batch results');
    await t.request('update', 'keys/plain', { type: 'ed25519' });
    const plain = await t.request('update', 'sign/plain', { input: b64('x') });
    assert.equal(plain?.data?.public_key, undefined);
  });

  test('symmetric keys refuse to sign; signing keys refuse old versions after config', async () => {
    const t = await mount();
    await t.request('update', 'keys/a');
    assert.equal((await rejection(t.request('update', 'sign/a', { input: b64('x') }))).status, 400);
    await t.request('update', 'keys/e', { type: 'ecdsa-p256' });
    const sig = (await t.request('update', 'sign/e', { input: b64('x') }))?.data?.signature;
    await t.request('update', 'keys/e/rotate');
    await t.request('update', 'keys/e/config', { min_decryption_version: 2 });
    const old = await rejection(t.request('update', 'verify/e', { input: b64('x'), signature: sig }));
    assert.equal(old.message, 'ciphertext or signature version is disallowed by policy (too old)');
  });

  test('random and hash', async () => {
    const t = await mount();
    const r = await t.request('update', 'random/16', { format: 'hex' });
    assert.match(r?.data?.random_bytes as string, /^[0-9a-f]{32}$/);
    assert.equal(
      Buffer.from((await t.request('update', 'random'))?.data?.random_bytes as string, 'base64').length,
      32,
    );
    assert.equal((await rejection(t.request('update', 'random', { bytes: 0 }))).status, 400);
    const sum = await t.request('update', 'hash/sha2-512', { input: b64('abc') });
    assert.equal(sum?.data?.sum, createHash('sha512').update('abc').digest('hex'));
    assert.equal(
      (await rejection(t.request('update', 'hash/md5', { input: b64('abc') }))).message,
      'unsupported algorithm type "md5"',
    );
  });

  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    test(`hash and hmac refuse the algorithm "${name}" as unsupported, not as a server fault`, async () => {
      const t = await mount();
      await t.request('update', 'keys/k');
      const hash = await rejection(t.request('update', `hash/${name}`, { input: b64('abc') }));
      assert.equal(hash.message, `unsupported algorithm type "${name}"`);
      const hashBody = await rejection(t.request('update', 'hash', { input: b64('abc'), algorithm: name }));
      assert.equal(hashBody.status, 400);
      const hmac = await rejection(t.request('update', `hmac/k/${name}`, { input: b64('abc') }));
      assert.equal(hmac.message, `unsupported algorithm ${name}`);
    });
  }
});
