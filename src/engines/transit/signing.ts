/** Signatures (Ed25519, ECDSA, RSA-PSS/PKCS#1 v1.5) and HMACs in Vault's `vault:v<N>:` format. */
import { constants, createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import { ed25519FromSeed, privateKeyOf } from './asymmetric.js';
import { decodeBase64, encodeBase64, splitVersioned, versionPrefix } from './encoding.js';
import { abilitiesOf, isRsa } from './key-types.js';
import { checkReadVersion, pickWriteVersion, type StoredKey, versionOf } from './store.js';
import { derivedEd25519Seed } from './wire.js';

export interface SignOptions {
  hash: string; // Node's name
  context?: Uint8Array;
  marshaling: 'asn1' | 'jws';
  rsaPadding: 'pss' | 'pkcs1v15';
  saltLength: 'auto' | 'hash' | number;
}

const MISSING_CONTEXT = 'missing context for a derived key';

function signingKey(key: StoredKey, version: number, context: Uint8Array | undefined): KeyObject {
  const entry = versionOf(key, version);
  if (!key.derived) return privateKeyOf(entry);
  if (!context?.length) throw invalid(MISSING_CONTEXT);
  return ed25519FromSeed(derivedEd25519Seed(entry.seed!, context));
}

function algorithmOf(key: StoredKey, options: SignOptions, signing: boolean) {
  if (key.type === 'ed25519') return { hash: null, extra: {} };
  if (!isRsa(key.type))
    return {
      hash: options.hash,
      extra: { dsaEncoding: options.marshaling === 'jws' ? 'ieee-p1363' : 'der' },
    };
  if (options.rsaPadding === 'pkcs1v15')
    return { hash: options.hash, extra: { padding: constants.RSA_PKCS1_PADDING } };
  const saltLength =
    options.saltLength === 'hash'
      ? constants.RSA_PSS_SALTLEN_DIGEST
      : options.saltLength === 'auto'
        ? signing
          ? constants.RSA_PSS_SALTLEN_MAX_SIGN
          : constants.RSA_PSS_SALTLEN_AUTO
        : options.saltLength;
  return { hash: options.hash, extra: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } };
}

const encodeSig = (bytes: Buffer, marshaling: string) =>
  marshaling === 'jws' ? bytes.toString('base64url') : encodeBase64(bytes);

export function signValue(
  key: StoredKey,
  requested: number | undefined,
  input: Uint8Array,
  options: SignOptions,
) {
  if (!abilitiesOf(key.type).signing) throw invalid(`key type ${key.type} does not support signing`);
  const version = pickWriteVersion(key, requested, 'signing');
  const privateKey = signingKey(key, version, options.context);
  const { hash, extra } = algorithmOf(key, options, true);
  const signature = sign(hash, input, { key: privateKey, ...extra } as Parameters<typeof sign>[2]);
  return { signature: versionPrefix(version) + encodeSig(signature, options.marshaling), version };
}

export function verifyValue(
  key: StoredKey,
  input: Uint8Array,
  signature: string,
  options: SignOptions,
): boolean {
  if (!abilitiesOf(key.type).signing) throw invalid(`key type ${key.type} does not support verification`);
  const parts = splitVersioned(signature, 'signature');
  const version = checkReadVersion(key, parts.version, 'signature');
  let bytes: Buffer;
  try {
    bytes = options.marshaling === 'jws' ? Buffer.from(parts.body, 'base64url') : decodeBase64(parts.body);
  } catch {
    throw invalid('invalid base64 signature value');
  }
  const { hash, extra } = algorithmOf(key, options, false);
  const privateKey = signingKey(key, version, options.context);
  return verify(hash, input, { key: privateKey, ...extra } as Parameters<typeof verify>[2], bytes);
}

function hmacKeyOf(key: StoredKey, version: number): Buffer {
  const entry = versionOf(key, version);
  return Buffer.from((key.type === 'hmac' ? entry.key : entry.hmacKey)!, 'base64');
}

export function hmacValue(key: StoredKey, requested: number | undefined, input: Uint8Array, hash: string) {
  const version = pickWriteVersion(key, requested, 'hmac');
  const mac = createHmac(hash, hmacKeyOf(key, version)).update(input).digest();
  return { hmac: versionPrefix(version) + encodeBase64(mac), version };
}

export function verifyHmac(key: StoredKey, input: Uint8Array, hmac: string, hash: string): boolean {
  const parts = splitVersioned(hmac, 'hmac');
  const version = checkReadVersion(key, parts.version, 'hmac');
  const expected = Buffer.from(
    versionPrefix(version) + encodeBase64(createHmac(hash, hmacKeyOf(key, version)).update(input).digest()),
  );
  const given = Buffer.from(hmac);
  // constant-time: compares a MAC
  return expected.length === given.length && timingSafeEqual(expected, given);
}
