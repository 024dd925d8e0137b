import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { CompactSign } from 'jose';
import { type CompactJws, parseCompactJws, verifiesWith } from './jws.js';

const payload = Buffer.from(JSON.stringify({ sub: 'ci', aud: 'coffer' }));

function keyPair(alg: string): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg.startsWith('RS') || alg.startsWith('PS'))
    return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  const curve = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[alg]!;
  return generateKeyPairSync('ec', { namedCurve: curve });
}

/** A token jose signs: the reference this file's verification must agree with. */
async function joseToken(alg: string, privateKey: KeyObject): Promise<CompactJws> {
  const token = await new CompactSign(payload).setProtectedHeader({ alg }).sign(privateKey);
  return parseCompactJws(token)!;
}

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token signed by node:crypto directly, for signatures jose would not make. */
function nodeToken(alg: string, sigAlg: string | null, key: Parameters<typeof sign>[2]): CompactJws {
  const input = `${b64({ alg })}.${b64(payload.toString())}`;
  return parseCompactJws(`${input}.${sign(sigAlg, Buffer.from(input), key).toString('base64url')}`)!;
}

describe('compact JWS verification on node:crypto', () => {
  const algs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
  for (const alg of algs) {
    test(`${alg}: jose's signature verifies with the key, not with a stranger's, a changed payload or signature`, async () => {
      const { privateKey, publicKey } = keyPair(alg);
      const jws = await joseToken(alg, privateKey);
      assert.deepEqual(jws.header, { alg });
      assert.deepEqual(jws.payload, payload);
      assert.equal(verifiesWith(jws, alg, publicKey), true);
      assert.equal(verifiesWith(jws, alg, keyPair(alg).publicKey), false, 'another key');
      const forged = { ...jws, payload: Buffer.from('{"sub":"admin"}') };
      const tamperedInput = Buffer.from(jws.signingInput);
      tamperedInput[tamperedInput.length - 1] ^= 1;
      assert.equal(verifiesWith({ ...forged, signingInput: tamperedInput }, alg, publicKey), false);
      const tamperedSignature = Buffer.from(jws.signature);
      tamperedSignature[0] ^= 1;
      assert.equal(verifiesWith({ ...jws, signature: tamperedSignature }, alg, publicKey), false);
      assert.equal(verifiesWith({ ...jws, signature: jws.signature.subarray(1) }, alg, publicKey), false);
    });
  }

  test('a key that does not fit the algorithm never verifies, whatever the signature', () => {
    const ec256 = keyPair('ES256');
    const es256 = nodeToken('ES256', 'sha256', { key: ec256.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(verifiesWith(es256, 'ES256', ec256.publicKey), true);
    assert.equal(verifiesWith(es256, 'ES384', ec256.publicKey), false, 'P-256 key for ES384');
    assert.equal(verifiesWith(es256, 'RS256', ec256.publicKey), false, 'an EC key for an RSA alg');

    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rs256Small = nodeToken('RS256', 'sha256', small.privateKey);
    assert.equal(verifiesWith(rs256Small, 'RS256', small.publicKey), false, 'RSA below 2048 bits');

    const rsa = keyPair('RS256');
    const pkcs1 = nodeToken('RS256', 'sha256', rsa.privateKey);
    assert.equal(verifiesWith(pkcs1, 'RS256', rsa.publicKey), true);
    assert.equal(verifiesWith(pkcs1, 'PS256', rsa.publicKey), false, 'PKCS#1 v1.5 is not PSS');
    assert.equal(verifiesWith(pkcs1, 'RS256', rsa.privateKey), false, 'only public keys verify');

    // PS256's salt is the digest's length (RFC 7518 3.5); another salt length is refused.
    const pss = (saltLength: number) =>
      nodeToken('PS256', 'sha256', {
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
    assert.equal(verifiesWith(pss(32), 'PS256', rsa.publicKey), true);
    assert.equal(verifiesWith(pss(20), 'PS256', rsa.publicKey), false);

    const ed448 = generateKeyPairSync('ed448');
    assert.equal(verifiesWith(nodeToken('EdDSA', null, ed448.privateKey), 'EdDSA', ed448.publicKey), false);
  });

  test('HMAC and "none" are not algorithms here: a token MACed with the public key itself is refused', () => {
    const rsa = keyPair('RS256');
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const input = `${b64({ alg: 'HS256' })}.${b64(payload.toString())}`;
    const mac = createHmac('sha256', pem).update(input).digest('base64url');
    const jws = parseCompactJws(`${input}.${mac}`)!;
    for (const alg of ['HS256', 'none', 'toString', '__proto__'])
      assert.equal(verifiesWith(jws, alg, rsa.publicKey), false, alg);
  });

  test('anything but three unpadded base64url parts with a JSON object header is not a compact JWS', () => {
    const header = b64({ alg: 'RS256' });
    const body = b64('{}');
    assert.ok(parseCompactJws(`${header}.${body}.c2ln`));
    for (const token of [
      `${header}.${body}`,
      `${header}.${body}.c2ln.extra`,
      `${header}.${body}.c2ln.a.b`,
      `${header}=.${body}.c2ln`,
      `${header}.${body}.c2l+`,
      `${header}.${body}.c2l n`,
      `${b64('[1]')}.${body}.c2ln`,
      `${b64('"RS256"')}.${body}.c2ln`,
      `${b64('null')}.${body}.c2ln`,
      `${b64('{not json')}.${body}.c2ln`,
      '',
    ])
      assert.equal(parseCompactJws(token), undefined, token);
  });
});
