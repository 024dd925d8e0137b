/** Signatures (Ed25519, ECDSA, RSA-PSS/PKCS#1 v1.5) and HMACs in Vault's `vault:v<N>:` format. */
import {
  constants,
  createHash,
  createHmac,
  type KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { invalid } from '../../core/errors.js';
import { ed25519FromSeed, ed25519PublicBytes, privateKeyOf, RSA_BITS } from './asymmetric.js';
import { ecdsaFromDer, ecdsaFromJws } from './ecdsa-signature.js';
import { decodeBase64, decodeBase64Url, encodeBase64, splitVersioned, versionPrefix } from './encoding.js';
import { abilitiesOf, isRsa, type KeyType } from './key-types.js';
import { checkReadVersion, pickWriteVersion, type StoredKey, versionOf } from './store.js';
import { derivedEd25519Seed } from './wire.js';

export interface SignOptions {
  hash: string; // Node's name
  context?: Uint8Array;
  marshaling: 'asn1' | 'jws';
  rsaPadding: 'pss' | 'pkcs1v15';
  /** Go's rsa.PSSOptions.SaltLength: 0 is "auto", -1 the hash length, else a number of bytes. */
  saltLength: number;
}

export const SALT_AUTO = 0;
export const SALT_HASH = -1;

const MISSING_CONTEXT = 'missing context for a derived key';

function signingKey(key: StoredKey, version: number, context?: Uint8Array): KeyObject {
  const entry = versionOf(key, version);
  if (!key.derived) return privateKeyOf(entry);
  if (!context?.length) throw invalid(MISSING_CONTEXT);
  return ed25519FromSeed(derivedEd25519Seed(entry.seed!, context));
}

function algorithmOf(key: StoredKey, options: SignOptions, signing: boolean) {
  if (key.type === 'ed25519') return { hash: null, extra: {} };
  if (!isRsa(key.type)) {
    // Verification always gets r || s (see ecdsa-signature.ts); a signature goes out as asked.
    const dsaEncoding = !signing || options.marshaling === 'jws' ? 'ieee-p1363' : 'der';
    return { hash: options.hash, extra: { dsaEncoding } };
  }
  if (options.rsaPadding === 'pkcs1v15')
    return { hash: options.hash, extra: { padding: constants.RSA_PKCS1_PADDING } };
  checkSaltLength(key.type, options);
  let saltLength = options.saltLength;
  if (saltLength === SALT_HASH) saltLength = constants.RSA_PSS_SALTLEN_DIGEST;
  else if (saltLength === SALT_AUTO)
    saltLength = signing ? constants.RSA_PSS_SALTLEN_MAX_SIGN : constants.RSA_PSS_SALTLEN_AUTO;
  return { hash: options.hash, extra: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } };
}

/** Vault's validRSAPSSSaltLength: from -1 (the hash length) to what the modulus leaves room for. */
function checkSaltLength(type: KeyType, options: SignOptions): void {
  const modulusBytes = Math.ceil((RSA_BITS[type as keyof typeof RSA_BITS] - 1) / 8);
  const max = modulusBytes - 2 - createHash(options.hash).digest().length;
  if (options.saltLength < SALT_HASH || options.saltLength > max)
    throw invalid(`requested salt length ${options.saltLength} is invalid`);
}

type SignKey = Parameters<typeof sign>[2];
type VerifyKey = Parameters<typeof verify>[2];

// The callback forms run on libuv's thread pool: an RSA-4096 signature takes milliseconds, and a
// batch of them done synchronously held every other request back for seconds.
function signOffLoop(hash: string | null, data: Uint8Array, key: SignKey): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    sign(hash, data, key, (error, signature) => (error ? reject(error) : resolve(signature))),
  );
}

function verifyOffLoop(hash: string | null, data: Uint8Array, key: VerifyKey, signature: Buffer) {
  return new Promise<boolean>((resolve, reject) =>
    verify(hash, data, key, signature, (error, valid) => (error ? reject(error) : resolve(valid))),
  );
}

const encodeSig = (bytes: Buffer, marshaling: string) =>
  marshaling === 'jws' ? bytes.toString('base64url') : encodeBase64(bytes);

export async function signValue(
  key: StoredKey,
  requested: number | undefined,
  input: Uint8Array,
  options: SignOptions,
) {
  if (!abilitiesOf(key.type).signing) throw invalid(`key type ${key.type} does not support signing`);
  const version = pickWriteVersion(key, requested, 'signing');
  const privateKey = signingKey(key, version, options.context);
  const { hash, extra } = algorithmOf(key, options, true);
  const signature = await signOffLoop(hash, input, { key: privateKey, ...extra } as SignKey);
  // Vault shows a derived key's public half with its signature: the caller has no other way to get it.
  const publicKey = key.derived ? ed25519PublicBytes(privateKey).toString('base64') : undefined;
  return { signature: versionPrefix(version) + encodeSig(signature, options.marshaling), version, publicKey };
}

export async function verifyValue(
  key: StoredKey,
  input: Uint8Array,
  signature: string,
  options: SignOptions,
): Promise<boolean> {
  if (!abilitiesOf(key.type).signing) throw invalid(`key type ${key.type} does not support verification`);
  const parts = splitVersioned(signature, 'signature');
  const version = checkReadVersion(key, parts.version, 'signature');
  let bytes: Buffer | undefined;
  try {
    bytes = options.marshaling === 'jws' ? decodeBase64Url(parts.body) : decodeBase64(parts.body);
  } catch {
    throw invalid('invalid base64 signature value');
  }
  if (key.type.startsWith('ecdsa-')) {
    const size = key.type === 'ecdsa-p256' ? 32 : 48;
    bytes = options.marshaling === 'jws' ? ecdsaFromJws(bytes, size) : ecdsaFromDer(bytes, size);
  }
  const { hash, extra } = algorithmOf(key, options, false);
  const privateKey = signingKey(key, version, options.context);
  if (!bytes) return false;
  return verifyOffLoop(hash, input, { key: privateKey, ...extra } as VerifyKey, bytes);
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
