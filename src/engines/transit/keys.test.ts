import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createTransitEngine } from './index.js';

const mount = () => mountForTest(createTransitEngine());

describe('transit keys', () => {
  test('a new key reads back in Vault shape, with creation times per version', async () => {
    const t = await mount();
    const created = await t.request('update', 'keys/app');
    assert.equal(created?.data?.type, 'aes256-gcm96');
    const data = (await t.request('read', 'keys/app'))?.data;
    assert.deepEqual(
      { ...data, keys: undefined },
      {
        name: 'app',
        type: 'aes256-gcm96',
        derived: false,
        deletion_allowed: false,
        min_available_version: 0,
        min_decryption_version: 1,
        min_encryption_version: 0,
        latest_version: 1,
        exportable: false,
        allow_plaintext_backup: false,
        supports_encryption: true,
        supports_decryption: true,
        supports_signing: false,
        supports_derivation: true,
        auto_rotate_period: 0,
        imported_key: false,
        keys: undefined,
      },
    );
    assert.deepEqual(Object.keys(data?.keys as object), ['1']);
    assert.equal(typeof (data?.keys as Record<string, unknown> | undefined)?.['1'], 'number');
    assert.equal(await t.request('read', 'keys/missing'), undefined);
  });

  test('a second write to an existing name changes nothing and warns', async () => {
    const t = await mount();
    await t.request('update', 'keys/app', { type: 'chacha20-poly1305' });
    const again = await t.request('update', 'keys/app', { type: 'aes128-gcm96' });
    assert.equal(again?.data?.type, 'chacha20-poly1305');
    assert.deepEqual(again?.warnings, ['key app already existed']);
  });

  test('asymmetric keys show their public keys, never private material', async () => {
    const t = await mount();
    for (const [type, name] of [
      ['ed25519', 'ed25519'],
      ['ecdsa-p256', 'P-256'],
      ['ecdsa-p384', 'P-384'],
      ['rsa-2048', 'rsa-2048'],
    ]) {
      const data = (await t.request('update', `keys/${type}`, { type }))?.data;
      assert.equal(data?.supports_signing, true, type);
      const v1 = ((data?.keys ?? {}) as Record<string, Record<string, string>>)['1'];
      assert.equal(v1.name, name);
      if (type === 'ed25519') assert.equal(Buffer.from(v1.public_key, 'base64').length, 32);
      else assert.match(v1.public_key, /^-----BEGIN PUBLIC KEY-----/);
      assert.doesNotMatch(JSON.stringify(data), /PRIVATE/);
    }
  });

  test('an hmac key has a size and lists no versions, as in Vault', async () => {
    const t = await mount();
    const data = (await t.request('update', 'keys/h', { type: 'hmac', key_size: 64 }))?.data;
    assert.equal(data?.key_size, 64);
    assert.equal(data?.keys, undefined);
    assert.equal(data?.supports_encryption, false);
  });

  const refusals = [
    {
      name: 'convergent without derived',
      body: { convergent_encryption: true },
      error: 'convergent encryption requires derivation to be enabled',
    },
    { name: 'an unknown type', body: { type: 'des' }, error: 'unknown key type des' },
    {
      name: 'derived ecdsa',
      body: { type: 'ecdsa-p256', derived: true },
      error: 'key derivation and convergent encryption not supported for keys of type ecdsa-p256',
    },
    {
      name: 'derived rsa',
      body: { type: 'rsa-2048', derived: true },
      error: 'key derivation and convergent encryption not supported for keys of type rsa-2048',
    },
    {
      name: 'convergent ed25519',
      body: { type: 'ed25519', derived: true, convergent_encryption: true },
      error: 'convergent encryption not supported for keys of type ed25519',
    },
    {
      name: 'key_size on aes',
      body: { key_size: 64 },
      error: 'key_size is not valid for algorithm aes256-gcm96',
    },
    { name: 'an hmac key too small', body: { type: 'hmac', key_size: 16 }, error: 'invalid key_size 16' },
    {
      name: 'an auto-rotate period under an hour',
      body: { auto_rotate_period: '10m' },
      error: 'auto rotate period must be 0 to disable or at least an hour',
    },
  ];
  for (const c of refusals) {
    test(`${c.name} is refused`, async () => {
      const t = await mount();
      const error = await rejection(t.request('update', 'keys/k', c.body));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.error);
      assert.equal(await t.request('read', 'keys/k'), undefined);
    });
  }

  test('LIST names the keys', async () => {
    const t = await mount();
    await t.request('update', 'keys/b');
    await t.request('update', 'keys/a');
    assert.deepEqual((await t.request('list', 'keys/'))?.data?.keys, ['a', 'b']);
  });

  test('delete is refused until deletion_allowed, then removes the key', async () => {
    const t = await mount();
    await t.request('update', 'keys/app');
    const refused = await rejection(t.request('delete', 'keys/app'));
    assert.equal(refused.status, 400);
    assert.equal(refused.message, 'error deleting policy app: deletion is not allowed for this key');
    const missing = await rejection(t.request('delete', 'keys/nope'));
    assert.equal(missing.message, 'error deleting policy nope: could not delete key; not found');
    await t.request('update', 'keys/app/config', { deletion_allowed: true });
    await t.request('delete', 'keys/app');
    assert.equal(await t.request('read', 'keys/app'), undefined);
  });

  test('rotate adds versions; config bounds the minimum versions as Vault does', async () => {
    const t = await mount();
    await t.request('update', 'keys/app');
    await t.request('update', 'keys/app/rotate');
    const rotated = await t.request('update', 'keys/app/rotate');
    assert.equal(rotated?.data?.latest_version, 3);
    assert.deepEqual(Object.keys(rotated?.data?.keys as object), ['1', '2', '3']);
    const tooHigh = await rejection(t.request('update', 'keys/app/config', { min_decryption_version: 4 }));
    assert.equal(tooHigh.message, 'cannot set min decryption version of 4, latest key version is 3');
    const crossed = await rejection(
      t.request('update', 'keys/app/config', { min_decryption_version: 3, min_encryption_version: 2 }),
    );
    assert.match(
      crossed.message,
      /min encryption version of 2 must be greater than or equal to min decryption version of 3/,
    );
    const zero = await t.request('update', 'keys/app/config', { min_decryption_version: 0 });
    assert.equal(zero?.data?.min_decryption_version, 1);
    assert.deepEqual(zero?.warnings, [
      'since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1',
    ]);
    const set = await t.request('update', 'keys/app/config', { min_decryption_version: 2, exportable: true });
    assert.equal(set?.data?.min_decryption_version, 2);
    assert.equal(set?.data?.exportable, true);
    const unset = await t.request('update', 'keys/app/config', { exportable: false });
    assert.equal(unset?.data?.exportable, true, 'exportable stays set');
    assert.equal((await rejection(t.request('update', 'keys/none/rotate'))).message, 'key not found');
    assert.equal(
      (await rejection(t.request('update', 'keys/none/config', {}))).message,
      'no existing key named none could be found',
    );
  });

  test('versions below min_decryption_version are retired: refused for every use, and not listed', async () => {
    const t = await mount();
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await t.request('update', 'keys/aes');
    await t.request('update', 'keys/ec', { type: 'ecdsa-p256' });
    for (const name of ['aes', 'ec']) {
      await t.request('update', `keys/${name}/rotate`);
      await t.request('update', `keys/${name}/rotate`);
      const tuned = await t.request('update', `keys/${name}/config`, { min_decryption_version: 3 });
      assert.deepEqual(Object.keys(tuned?.data?.keys as object), ['3'], `${name} lists only live versions`);
    }
    const current = await t.request('update', 'encrypt/aes', { plaintext: b64('x') });
    const uses: [string, Record<string, unknown>][] = [
      ['encrypt/aes', { plaintext: b64('x'), key_version: 1 }],
      ['datakey/wrapped/aes', { key_version: 2 }],
      ['hmac/aes', { input: b64('x'), key_version: 1 }],
      ['rewrap/aes', { ciphertext: current?.data?.ciphertext, key_version: 2 }],
      ['sign/ec', { input: b64('x'), key_version: 1 }],
    ];
    for (const [path, data] of uses)
      assert.equal((await rejection(t.request('update', path, data))).message, 'no such key version', path);
    // As Vault brings archived versions back, lowering the minimum makes them usable again.
    const lowered = await t.request('update', 'keys/aes/config', { min_decryption_version: 1 });
    assert.deepEqual(Object.keys(lowered?.data?.keys as object), ['1', '2', '3']);
    const old = await t.request('update', 'encrypt/aes', { plaintext: b64('x'), key_version: 1 });
    assert.match(old?.data?.ciphertext as string, /^vault:v1:/);
  });

  test('a derived ed25519 key shows a public key only for a context', async () => {
    const t = await mount();
    await t.request('update', 'keys/d', { type: 'ed25519', derived: true });
    const bare = (await t.request('read', 'keys/d'))?.data?.keys as Record<string, Record<string, string>>;
    assert.equal(bare['1'].public_key, '');
    const ctxA = (await t.request('read', 'keys/d', { context: 'YQ==' }))?.data?.keys as Record<
      string,
      Record<string, string>
    >;
    const ctxB = (await t.request('read', 'keys/d', { context: 'Yg==' }))?.data?.keys as Record<
      string,
      Record<string, string>
    >;
    assert.equal(Buffer.from(ctxA['1'].public_key, 'base64').length, 32);
    assert.notEqual(ctxA['1'].public_key, ctxB['1'].public_key);
  });
});
