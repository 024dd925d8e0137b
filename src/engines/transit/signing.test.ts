import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createTransitEngine } from './index.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const input = b64('payload');

async function signer(type: string, extra: Record<string, unknown> = {}) {
  const t = await mountForTest(createTransitEngine());
  await t.request('update', 'keys/s', { type });
  const signed = await t.request('update', 'sign/s', { input, ...extra });
  const signature = signed?.data?.signature as string;
  const verify = (sig: string, more: Record<string, unknown> = {}) =>
    t.request('update', 'verify/s', { input, signature: sig, ...extra, ...more });
  return { t, signature, verify };
}

/** The signature with its body (after `vault:v1:`) replaced by `edit(body)`. */
const withBody = (signature: string, edit: (body: string) => string) =>
  signature.replace(/^(vault:v1:)(.*)$/, (_all, prefix: string, body: string) => prefix + edit(body));

describe('transit signature parsing', () => {
  const jwsCases = [
    {
      name: 'a character outside the url-safe alphabet',
      edit: (b: string) => `${b.slice(0, 5)}!${b.slice(5)}`,
    },
    { name: 'padding', edit: (b: string) => `${b}==` },
    { name: 'standard base64 characters', edit: (b: string) => `${b.slice(0, 5)}+${b.slice(6)}` },
    { name: 'a length no byte count has', edit: (b: string) => `${b}AAA` },
  ];
  for (const c of jwsCases)
    test(`a JWS signature with ${c.name} is a 400, never valid`, async () => {
      const { signature, verify } = await signer('ecdsa-p256', { marshaling_algorithm: 'jws' });
      assert.equal((await verify(signature))?.data?.valid, true);
      const error = await rejection(verify(withBody(signature, c.edit)));
      assert.equal(error.message, 'invalid base64 signature value');
    });

  for (const prefix of ['vault:v0:', 'vault:v-0:'])
    test(`a signature or HMAC under ${prefix} is too old, not version 1`, async () => {
      const { t, signature, verify } = await signer('ed25519');
      const renamed = signature.replace('vault:v1:', prefix);
      const error = await rejection(verify(renamed));
      assert.equal(error.message, 'ciphertext or signature version is disallowed by policy (too old)');
      const hmac = (await t.request('update', 'hmac/s', { input }))?.data?.hmac as string;
      const hmacError = await rejection(
        t.request('update', 'verify/s', { input, hmac: hmac.replace('vault:v1:', prefix) }),
      );
      assert.equal(hmacError.message, 'ciphertext or signature version is disallowed by policy (too old)');
    });

  test('a ciphertext under vault:v0: still means version 1', async () => {
    const t = await mountForTest(createTransitEngine());
    await t.request('update', 'keys/k');
    const enc = await t.request('update', 'encrypt/k', { plaintext: input });
    const ciphertext = String(enc?.data?.ciphertext).replace('vault:v1:', 'vault:v0:');
    assert.equal((await t.request('update', 'decrypt/k', { ciphertext }))?.data?.plaintext, input);
  });

  const asn1Cases = [
    {
      name: 'extra bytes after it',
      edit: (der: Buffer) => Buffer.concat([der, Buffer.of(0)]),
      message: 'supplied signature contains extra data',
    },
    {
      name: 'no SEQUENCE',
      edit: () => Buffer.from('not a signature'),
      message: 'supplied signature is invalid',
    },
    {
      name: 'a truncated body',
      edit: (der: Buffer) => der.subarray(0, der.length - 3),
      message: 'supplied signature is invalid',
    },
    { name: 'no bytes at all', edit: () => Buffer.alloc(0), message: 'supplied signature is invalid' },
  ];
  for (const c of asn1Cases)
    test(`an ASN.1 ECDSA signature with ${c.name} is a 400`, async () => {
      const { signature, verify } = await signer('ecdsa-p256');
      const der = Buffer.from(signature.slice('vault:v1:'.length), 'base64');
      const error = await rejection(verify(`vault:v1:${c.edit(der).toString('base64')}`));
      assert.equal(error.message, c.message);
    });

  test('an ASN.1 ECDSA signature with r and s re-encoded with an extra element still verifies, as in Go', async () => {
    const { signature, verify } = await signer('ecdsa-p256');
    const der = Buffer.from(signature.slice('vault:v1:'.length), 'base64');
    // Go's encoding/asn1 ignores extra elements at the end of a SEQUENCE.
    const body = Buffer.concat([der.subarray(2), Buffer.of(0x02, 0x01, 0x05)]);
    const longer = Buffer.concat([Buffer.of(0x30, body.length), body]);
    assert.equal((await verify(`vault:v1:${longer.toString('base64')}`))?.data?.valid, true);
  });

  test('a JWS ECDSA signature is split in half like Go, so a shorter r and s still verify', async () => {
    const { signature, verify } = await signer('ecdsa-p256', { marshaling_algorithm: 'jws' });
    const raw = Buffer.from(signature.slice('vault:v1:'.length), 'base64url');
    const shifted = Buffer.concat([Buffer.of(0), raw.subarray(0, 32), Buffer.of(0), raw.subarray(32)]);
    assert.equal((await verify(`vault:v1:${shifted.toString('base64url')}`))?.data?.valid, true);
  });
});

describe('transit RSA-PSS salt length', () => {
  const cases = [
    { name: 'auto', salt: 'auto', ok: true },
    { name: 'hash', salt: 'HASH', ok: true },
    { name: '-1 (hash length, in Go terms)', salt: '-1', ok: true },
    { name: '0 (auto, in Go terms)', salt: '0', ok: true },
    { name: 'the largest a 2048-bit key allows with SHA-256', salt: '222', ok: true },
    { name: 'one more than the largest', salt: '223', message: 'requested salt length 223 is invalid' },
    { name: 'a huge number', salt: '100000', message: 'requested salt length 100000 is invalid' },
    { name: '-2', salt: '-2', message: 'salt length is invalid: -2' },
    { name: 'text', salt: 'big', message: "salt length neither 'auto', 'hash', nor an int: big" },
    { name: 'hex', salt: '0x10', message: "salt length neither 'auto', 'hash', nor an int: 0x10" },
  ];
  for (const c of cases)
    test(`salt_length ${c.name}`, async () => {
      const t = await mountForTest(createTransitEngine());
      await t.request('update', 'keys/r', { type: 'rsa-2048' });
      if (c.ok) {
        const signed = await t.request('update', 'sign/r', { input, salt_length: c.salt });
        const signature = signed?.data?.signature;
        const verified = await t.request('update', 'verify/r', { input, signature, salt_length: c.salt });
        assert.equal(verified?.data?.valid, true);
        return;
      }
      const sign = await rejection(t.request('update', 'sign/r', { input, salt_length: c.salt }));
      assert.deepEqual([sign.status, sign.message], [400, c.message]);
      const signature = (await t.request('update', 'sign/r', { input }))?.data?.signature;
      const verify = await rejection(
        t.request('update', 'verify/r', { input, signature, salt_length: c.salt }),
      );
      assert.deepEqual([verify.status, verify.message], [400, c.message]);
    });

  test('a numeric salt is that many bytes: a signature made with 20 verifies only with 20 or auto', async () => {
    const t = await mountForTest(createTransitEngine());
    await t.request('update', 'keys/r', { type: 'rsa-2048' });
    const signature = (await t.request('update', 'sign/r', { input, salt_length: '20' }))?.data?.signature;
    const check = async (salt: string) =>
      (await t.request('update', 'verify/r', { input, signature, salt_length: salt }))?.data?.valid;
    assert.deepEqual(
      [await check('20'), await check('auto'), await check('0'), await check('21')],
      [true, true, true, false],
    );
  });
});

const resultsOf = <T>(response: { data?: Record<string, unknown> } | undefined) =>
  (response?.data?.batch_results ?? []) as T[];

describe('transit RSA batches and the event loop', () => {
  /** Starts `slow`, then a cheap request once the loop is free; returns which finished first. */
  async function finishOrder(t: Awaited<ReturnType<typeof mountForTest>>, slow: () => Promise<unknown>) {
    const order: string[] = [];
    const batch = slow().then((result) => {
      order.push('batch');
      return result;
    });
    // setImmediate runs only once the loop gets a turn, which a synchronous batch never gives it.
    const cheap = new Promise((resolve) => setImmediate(resolve))
      .then(() => t.request('update', 'random/8'))
      .then(() => order.push('cheap'));
    const [result] = await Promise.all([batch, cheap]);
    return { order, result: result as Awaited<ReturnType<typeof t.request>> };
  }

  test('a batch of RSA signatures is answered correctly and lets another request through meanwhile', async () => {
    const t = await mountForTest(createTransitEngine());
    await t.request('update', 'keys/r', { type: 'rsa-2048' });
    const items = Array.from({ length: 40 }, (_, i) => ({ input: b64(`item ${i}`), reference: `${i}` }));
    const { order, result } = await finishOrder(t, () =>
      t.request('update', 'sign/r', { batch_input: items }),
    );
    assert.deepEqual(order, ['cheap', 'batch']);
    const results = resultsOf<{ signature: string; reference: string }>(result);
    assert.equal(results.length, 40);
    const verified = await t.request('update', 'verify/r', {
      batch_input: results.map((r, i) => ({ input: items[i].input, signature: r.signature })),
    });
    const valid = resultsOf<{ valid: boolean }>(verified).map((r) => r.valid);
    assert.deepEqual(valid, Array(40).fill(true));
    assert.deepEqual(
      results.map((r) => r.reference),
      items.map((item) => item.reference),
    );
  });

  test('a batch of RSA decryptions yields between items', async () => {
    const t = await mountForTest(createTransitEngine());
    await t.request('update', 'keys/r', { type: 'rsa-2048' });
    const plaintexts = Array.from({ length: 20 }, (_, i) => ({ plaintext: b64(`secret ${i}`) }));
    const enc = await t.request('update', 'encrypt/r', { batch_input: plaintexts });
    const ciphertexts = resultsOf<{ ciphertext: string }>(enc).map((r) => ({
      ciphertext: r.ciphertext,
    }));
    const { order, result } = await finishOrder(t, () =>
      t.request('update', 'decrypt/r', { batch_input: ciphertexts }),
    );
    assert.deepEqual(order, ['cheap', 'batch']);
    assert.deepEqual(
      resultsOf<{ plaintext: string }>(result).map((r) => r.plaintext),
      plaintexts.map((p) => p.plaintext),
    );
  });
});
