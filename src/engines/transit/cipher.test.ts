import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LogicalRequest } from '../../framework/logical.js';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createTransitEngine } from './index.js';
import type { TransitKey } from './store.js';
import { deriveBytes } from './symmetric.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const SECRET = 'the launch code is 0000';

async function mount() {
  const engine = createTransitEngine();
  const t = await mountForTest(engine);
  /** A write exactly as core sends it when the caller holds only update (no upsert). */
  const updateOnly = (path: string, data: Record<string, unknown>) => {
    const req: LogicalRequest = { id: randomUUID(), operation: 'update', path, data, mountPoint: 'transit/' };
    return engine.handleRequest(t.ctx, req);
  };
  return { ...t, updateOnly };
}

async function roundTrip(
  t: Awaited<ReturnType<typeof mount>>,
  name: string,
  extra: Record<string, unknown> = {},
) {
  const enc = await t.request('update', `encrypt/${name}`, { plaintext: b64(SECRET), ...extra });
  const ciphertext = enc?.data?.ciphertext as string;
  assert.match(ciphertext, /^vault:v1:[A-Za-z0-9+/]+=*$/);
  const dec = await t.request('update', `decrypt/${name}`, { ciphertext, ...extra });
  assert.equal(Buffer.from(dec?.data?.plaintext as string, 'base64').toString(), SECRET);
  return ciphertext;
}

describe('transit encrypt and decrypt', () => {
  for (const type of [
    'aes128-gcm96',
    'aes256-gcm96',
    'chacha20-poly1305',
    'rsa-2048',
    'rsa-3072',
    'rsa-4096',
  ]) {
    test(`round trip with ${type}`, async () => {
      const t = await mount();
      await t.request('update', 'keys/k', { type });
      await roundTrip(t, 'k');
    });
  }

  test('signing and hmac keys refuse to encrypt', async () => {
    const t = await mount();
    for (const type of ['ed25519', 'ecdsa-p256', 'hmac']) {
      await t.request('update', `keys/${type}`, { type });
      const error = await rejection(t.request('update', `encrypt/${type}`, { plaintext: b64('x') }));
      assert.equal(error.message, `message encryption not supported for key type ${type}`);
    }
  });

  test('the ciphertext is Vault layout: 12-byte nonce, ciphertext, 16-byte tag under the stored key', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const enc = await t.request('update', 'encrypt/k', { plaintext: b64(SECRET) });
    const body = Buffer.from(String(enc?.data?.ciphertext).slice('vault:v1:'.length), 'base64');
    const key = (await t.ctx.storage.getJson<TransitKey>('policy/k'))!;
    const decipher = createDecipheriv(
      'aes-256-gcm',
      Buffer.from(key.versions['1'].key!, 'base64'),
      body.subarray(0, 12),
    );
    decipher.setAuthTag(body.subarray(body.length - 16));
    const plain = Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
    assert.equal(plain.toString(), SECRET);
    assert.equal(body.length, 12 + SECRET.length + 16);
  });

  test('encrypt to a missing key creates it (upsert), derived when a context is given', async () => {
    const t = await mount();
    const enc = await t.request('update', 'encrypt/new', { plaintext: b64(SECRET) });
    assert.equal(enc?.data?.key_version, 1);
    assert.equal((await t.request('read', 'keys/new'))?.data?.type, 'aes256-gcm96');
    await roundTrip(t, 'derived-new', { context: b64('tenant-1') });
    assert.equal((await t.request('read', 'keys/derived-new'))?.data?.derived, true);
    await t.request('update', 'encrypt/cha', { plaintext: b64('x'), type: 'chacha20-poly1305' });
    assert.equal((await t.request('read', 'keys/cha'))?.data?.type, 'chacha20-poly1305');
    const ecdsa = await rejection(
      t.request('update', 'encrypt/e', { plaintext: b64('x'), type: 'ecdsa-p256' }),
    );
    assert.equal(ecdsa.message, 'key type ecdsa-p256 not supported for this operation');
    for (const [type, message] of [
      ['ed25519', 'unknown key type ed25519'],
      ['hmac', 'unknown key type hmac'],
    ])
      assert.equal(
        (await rejection(t.request('update', `encrypt/${type}`, { plaintext: b64('x'), type }))).message,
        message,
      );
  });

  test('encrypt upsert creates an RSA key, as current Vault does, but never a derived one', async () => {
    const t = await mount();
    const ciphertext = await roundTrip(t, 'rsa', { type: 'rsa-2048' });
    assert.match(ciphertext, /^vault:v1:/);
    assert.equal((await t.request('read', 'keys/rsa'))?.data?.type, 'rsa-2048');
    const derived = await rejection(
      t.request('update', 'encrypt/rsa-derived', {
        plaintext: b64('x'),
        type: 'rsa-2048',
        context: b64('c'),
      }),
    );
    assert.equal(
      derived.message,
      'key derivation and convergent encryption not supported for keys of type rsa-2048',
    );
    assert.equal(await t.request('read', 'keys/rsa-derived'), undefined);
  });

  test('without create capability (an update) a missing key is not created', async () => {
    const t = await mount();
    const error = await rejection(t.updateOnly('encrypt/none', { plaintext: b64('x') }));
    assert.equal(error.status, 400);
    assert.equal(error.message, 'encryption key not found');
    assert.equal(await t.request('read', 'keys/none'), undefined);
    const dec = await rejection(t.request('update', 'decrypt/none', { ciphertext: 'vault:v1:AAAA' }));
    assert.equal(dec.message, 'encryption key not found');
  });

  test('a caller-chosen nonce is refused outside convergent mode, and in it (CVE-2023-4680)', async () => {
    const t = await mount();
    await t.request('update', 'keys/plain');
    await t.request('update', 'keys/conv', { derived: true, convergent_encryption: true });
    const nonce = Buffer.alloc(12, 1).toString('base64');
    for (const [name, extra] of [
      ['plain', {}],
      ['conv', { context: b64('c') }],
    ] as const) {
      const error = await rejection(
        t.request('update', `encrypt/${name}`, { plaintext: b64('x'), nonce, ...extra }),
      );
      assert.equal(error.status, 400);
      assert.equal(error.message, 'provided nonce not allowed for this key');
    }
    const ciphertext = await roundTrip(t, 'plain');
    const rewrap = await rejection(t.request('update', 'rewrap/plain', { ciphertext, nonce }));
    assert.equal(rewrap.message, 'provided nonce not allowed for this key');
  });

  test('decrypt ignores a nonce, as Vault does for every key but convergent version 1, once it decodes', async () => {
    const t = await mount();
    await t.request('update', 'keys/plain');
    const ciphertext = await roundTrip(t, 'plain');
    const nonce = Buffer.alloc(12, 1).toString('base64');
    const dec = await t.request('update', 'decrypt/plain', { ciphertext, nonce });
    assert.equal(dec?.data?.plaintext, b64(SECRET));
    const batch = await t.request('update', 'decrypt/plain', { batch_input: [{ ciphertext, nonce }] });
    assert.equal(((batch?.data?.batch_results ?? []) as { plaintext: string }[])[0]?.plaintext, b64(SECRET));
    const bad = await rejection(t.request('update', 'decrypt/plain', { ciphertext, nonce: 'not*base64' }));
    assert.equal(bad.message, 'illegal base64 data at input byte 3');
  });

  test('a single rewrap uses associated_data, as a batch item does', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const associated_data = b64('row 7');
    const enc = await t.request('update', 'encrypt/k', { plaintext: b64(SECRET), associated_data });
    await t.request('update', 'keys/k/rotate');
    const re = await t.request('update', 'rewrap/k', { ciphertext: enc?.data?.ciphertext, associated_data });
    assert.match(String(re?.data?.ciphertext), /^vault:v2:/);
    const dec = await t.request('update', 'decrypt/k', { ciphertext: re?.data?.ciphertext, associated_data });
    assert.equal(dec?.data?.plaintext, b64(SECRET));
  });

  test('a derived key needs a context, and each context is its own key', async () => {
    const t = await mount();
    await t.request('update', 'keys/d', { derived: true });
    const missing = await rejection(t.request('update', 'encrypt/d', { plaintext: b64('x') }));
    assert.equal(missing.status, 400);
    assert.match(missing.message, /^missing 'context' for key derivation/);
    const ciphertext = await roundTrip(t, 'd', { context: b64('tenant-1') });
    const other = await rejection(t.request('update', 'decrypt/d', { ciphertext, context: b64('tenant-2') }));
    assert.equal(other.message, 'cipher: message authentication failed');
    const none = await rejection(t.request('update', 'decrypt/d', { ciphertext }));
    assert.match(none.message, /^missing 'context' for key derivation/);
  });

  test('convergent encryption: same plaintext and context give the same ciphertext', async () => {
    const t = await mount();
    await t.request('update', 'keys/c', { derived: true, convergent_encryption: true });
    const read = (await t.request('read', 'keys/c'))?.data;
    assert.equal(read?.convergent_encryption, true);
    assert.equal(read?.convergent_encryption_version, -1);
    const one = await roundTrip(t, 'c', { context: b64('ctx') });
    const two = await roundTrip(t, 'c', { context: b64('ctx') });
    const three = await roundTrip(t, 'c', { context: b64('other') });
    assert.equal(one, two);
    assert.notEqual(one, three);
  });

  test("convergent encryption with associated data: a nonce per AAD; without AAD, Vault's nonce", async () => {
    const t = await mount();
    await t.request('update', 'keys/c', { derived: true, convergent_encryption: true });
    const context = b64('ctx');
    const encrypt = async (extra: Record<string, unknown>) => {
      const enc = await t.request('update', 'encrypt/c', { plaintext: b64(SECRET), context, ...extra });
      return String(enc?.data?.ciphertext);
    };
    const nonceOf = (ciphertext: string) =>
      Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64').subarray(0, 12).toString('hex');
    const [a, a2, b, none] = [
      await encrypt({ associated_data: b64('aad one') }),
      await encrypt({ associated_data: b64('aad one') }),
      await encrypt({ associated_data: b64('aad two') }),
      await encrypt({}),
    ];
    assert.equal(a, a2, 'still convergent for one AAD');
    assert.notEqual(nonceOf(a), nonceOf(b), 'a GCM nonce is never reused under another AAD');
    assert.notEqual(nonceOf(a), nonceOf(none));
    // Without AAD the nonce is Vault's: HMAC-SHA256(plaintext) under the second half of the HKDF output.
    const stored = (await t.ctx.storage.getJson<TransitKey>('policy/c'))!;
    const material = deriveBytes(Buffer.from(stored.versions['1'].key!, 'base64'), Buffer.from('ctx'), 64);
    const vaultNonce = createHmac('sha256', material.subarray(32)).update(SECRET).digest().subarray(0, 12);
    assert.equal(nonceOf(none), vaultNonce.toString('hex'));
    const decrypt = (ciphertext: string, aad: string) =>
      t.request('update', 'decrypt/c', { ciphertext, context, associated_data: b64(aad) });
    assert.equal((await decrypt(b, 'aad two'))?.data?.plaintext, b64(SECRET));
    assert.equal((await rejection(decrypt(b, 'aad one'))).message, 'cipher: message authentication failed');
  });

  test('rotation: old versions decrypt until min_decryption_version passes them', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const v1 = await roundTrip(t, 'k');
    await t.request('update', 'keys/k/rotate');
    const enc = await t.request('update', 'encrypt/k', { plaintext: b64(SECRET) });
    assert.match(enc?.data?.ciphertext as string, /^vault:v2:/);
    assert.equal(enc?.data?.key_version, 2);
    const old = await t.request('update', 'decrypt/k', { ciphertext: v1 });
    assert.equal(Buffer.from(old?.data?.plaintext as string, 'base64').toString(), SECRET);
    const pinned = await t.request('update', 'encrypt/k', { plaintext: b64('x'), key_version: 1 });
    assert.match(pinned?.data?.ciphertext as string, /^vault:v1:/);
    await t.request('update', 'keys/k/config', { min_decryption_version: 2 });
    const tooOld = await rejection(t.request('update', 'decrypt/k', { ciphertext: v1 }));
    assert.equal(tooOld.status, 400);
    assert.equal(tooOld.message, 'ciphertext or signature version is disallowed by policy (too old)');
    await t.request('update', 'keys/k/config', { min_encryption_version: 2 });
    const below = await rejection(t.request('update', 'encrypt/k', { plaintext: b64('x'), key_version: 1 }));
    assert.equal(
      below.message,
      'requested version for encryption is less than the minimum encryption key version',
    );
    const tooNew = await rejection(t.request('update', 'decrypt/k', { ciphertext: v1.replace('v1', 'v9') }));
    assert.equal(tooNew.message, 'invalid ciphertext: version is too new');
  });

  test('tampered or malformed ciphertexts are 400s that reveal neither plaintext nor key', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const ciphertext = await roundTrip(t, 'k');
    const body = Buffer.from(ciphertext.slice('vault:v1:'.length), 'base64');
    body[20] ^= 1;
    const key = (await t.ctx.storage.getJson<TransitKey>('policy/k'))!.versions['1'].key!;
    const cases = [
      { ciphertext: `vault:v1:${body.toString('base64')}`, error: 'cipher: message authentication failed' },
      { ciphertext: 'vault:v1:AAAA', error: 'invalid ciphertext length' },
      { ciphertext: 'vault:v1:not base64!', error: 'invalid ciphertext: could not decode base64' },
      { ciphertext: 'v1:abc', error: 'invalid ciphertext: no prefix' },
      { ciphertext: 'vault:v1', error: 'invalid ciphertext: wrong number of fields' },
      { ciphertext: 'vault:vx:abc', error: 'invalid ciphertext: version number could not be decoded' },
    ];
    for (const c of cases) {
      const error = await rejection(t.request('update', 'decrypt/k', { ciphertext: c.ciphertext }));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.error);
      const text = JSON.stringify({ message: error.message, details: error.details });
      for (const secret of [SECRET, b64(SECRET), key, Buffer.from(key, 'base64').toString('hex')])
        assert.ok(!text.includes(secret));
    }
  });

  test('associated data must match on decrypt', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const enc = await t.request('update', 'encrypt/k', {
      plaintext: b64(SECRET),
      associated_data: b64('row-7'),
    });
    const ciphertext = enc?.data?.ciphertext;
    const ok = await t.request('update', 'decrypt/k', { ciphertext, associated_data: b64('row-7') });
    assert.equal(ok?.data?.plaintext, b64(SECRET));
    const wrong = await rejection(
      t.request('update', 'decrypt/k', { ciphertext, associated_data: b64('row-8') }),
    );
    assert.equal(wrong.message, 'cipher: message authentication failed');
  });

  test('bad base64 plaintext and missing fields are 400s', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    assert.equal(
      (await rejection(t.request('update', 'encrypt/k', {}))).message,
      'missing plaintext to encrypt',
    );
    assert.match(
      (await rejection(t.request('update', 'encrypt/k', { plaintext: 'a*b' }))).message,
      /^illegal base64 data at input byte 1$/,
    );
    assert.equal(
      (await rejection(t.request('update', 'decrypt/k', {}))).message,
      'missing ciphertext to decrypt',
    );
    assert.equal((await t.request('update', 'encrypt/k', { plaintext: '' }))?.data?.key_version, 1);
  });
});

describe('transit batches', () => {
  test('every item answered in order; a failed item makes the answer a 400 with the results', async () => {
    const t = await mount();
    await t.request('update', 'keys/k');
    const all = await t.request('update', 'encrypt/k', {
      batch_input: [{ plaintext: b64('one'), reference: 'a' }, { plaintext: b64('two') }],
    });
    assert.equal(all?.httpStatus, undefined);
    const results = all?.data?.batch_results as {
      ciphertext: string;
      reference: string;
      key_version: number;
    }[];
    assert.equal(results[0].reference, 'a');
    assert.equal(results[1].key_version, 1);
    const mixed = await t.request('update', 'decrypt/k', {
      batch_input: [
        { ciphertext: results[0].ciphertext },
        { ciphertext: 'vault:v1:AAAA' },
        { ciphertext: results[1].ciphertext },
      ],
    });
    assert.equal(mixed?.httpStatus, 400);
    const out = mixed?.data?.batch_results as { plaintext: string; error?: string }[];
    assert.equal(Buffer.from(out[0].plaintext, 'base64').toString(), 'one');
    assert.equal(out[1].error, 'invalid ciphertext length');
    assert.equal(Buffer.from(out[2].plaintext, 'base64').toString(), 'two');
    const partial = await t.request('update', 'decrypt/k', {
      batch_input: [{ ciphertext: results[0].ciphertext }, { ciphertext: 'x' }],
      partial_failure_response_code: 207,
    });
    assert.equal(partial?.httpStatus, 207);
    const allFailed = await t.request('update', 'decrypt/k', {
      batch_input: [{ ciphertext: 'x' }],
      partial_failure_response_code: 207,
    });
    assert.equal(allFailed?.httpStatus, 400);
  });

  test('context in some items but not others is refused outright', async () => {
    const t = await mount();
    const error = await rejection(
      t.request('update', 'encrypt/k', {
        batch_input: [{ plaintext: 'YQ==', context: 'YQ==' }, { plaintext: 'YQ==' }],
      }),
    );
    assert.equal(error.message, 'context should be set either in all the request blocks or in none');
    const empty = await rejection(t.request('update', 'encrypt/k', { batch_input: [] }));
    assert.equal(empty.message, 'missing batch input to process');
    const wrongType = await rejection(t.request('update', 'encrypt/k', { batch_input: [{ plaintext: 5 }] }));
    assert.match(wrongType.message, /'\[0\]\.plaintext' expected type 'string'/);
  });
});
