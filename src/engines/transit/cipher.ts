/** Encrypting and decrypting one value with a named key, in Vault's `vault:v<N>:<base64>` format. */
import type { KeyObject } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import { privateKeyOf, rsaDecrypt, rsaEncrypt } from './asymmetric.js';
import { decodeBase64, encodeBase64, splitVersioned, versionPrefix } from './encoding.js';
import { abilitiesOf, isRsa, isSymmetric, type SymmetricType } from './key-types.js';
import { checkReadVersion, pickWriteVersion, type StoredKey, versionOf } from './store.js';
import { convergentNonce, deriveBytes, keyBytesOf, open, seal } from './symmetric.js';

const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

export interface CipherInput {
  context?: Uint8Array;
  aad?: Uint8Array;
}

/** The symmetric key bytes for a version: the stored key, or `length` bytes HKDF-derived from it. */
function symmetricKey(
  key: StoredKey,
  version: number,
  context: Uint8Array | undefined,
  length: number,
): Buffer {
  const secret = Buffer.from(versionOf(key, version).key!, 'base64');
  if (!key.derived) return secret;
  if (!context?.length) throw invalid(MISSING_CONTEXT);
  return deriveBytes(secret, context, length);
}

export function encryptValue(
  key: StoredKey,
  requestedVersion: number | undefined,
  plaintext: Uint8Array,
  input: CipherInput,
): { ciphertext: string; version: number } {
  if (!abilitiesOf(key.type).encryption)
    throw invalid(`message encryption not supported for key type ${key.type}`);
  const version = pickWriteVersion(key, requestedVersion, 'encryption');
  let body: Buffer;
  if (isSymmetric(key.type)) body = sealSymmetric(key, key.type, version, plaintext, input);
  else body = encryptRsa(privateKeyOf(versionOf(key, version)), plaintext);
  return { ciphertext: versionPrefix(version) + encodeBase64(body), version };
}

function sealSymmetric(
  key: StoredKey,
  type: SymmetricType,
  version: number,
  plaintext: Uint8Array,
  input: CipherInput,
): Buffer {
  const encBytes = keyBytesOf(type);
  if (!key.convergent)
    return seal(type, symmetricKey(key, version, input.context, encBytes), plaintext, undefined, input.aad);
  // Convergent v3: one HKDF output gives the encryption key and, after it, the key of the nonce's HMAC.
  const material = symmetricKey(key, version, input.context, encBytes + 32);
  const nonce = convergentNonce(material.subarray(encBytes), plaintext, input.aad);
  return seal(type, material.subarray(0, encBytes), plaintext, nonce, input.aad);
}

function encryptRsa(rsaKey: KeyObject, plaintext: Uint8Array): Buffer {
  try {
    return rsaEncrypt(rsaKey, plaintext);
  } catch {
    throw invalid('failed to RSA encrypt the plaintext: crypto/rsa: message too long for RSA key size');
  }
}

export function decryptValue(key: StoredKey, ciphertext: string, input: CipherInput): Buffer {
  if (!abilitiesOf(key.type).encryption)
    throw invalid(`message decryption not supported for key type ${key.type}`);
  const parts = splitVersioned(ciphertext, 'ciphertext');
  // Vault's first ciphertexts counted versions from 0; signatures and HMACs never did, so only here.
  const version = checkReadVersion(key, parts.version === 0 ? 1 : parts.version, 'ciphertext');
  let body: Buffer;
  try {
    body = decodeBase64(parts.body);
  } catch {
    throw invalid('invalid ciphertext: could not decode base64');
  }
  if (isRsa(key.type)) {
    try {
      return rsaDecrypt(privateKeyOf(versionOf(key, version)), body);
    } catch {
      throw invalid('failed to RSA decrypt the ciphertext: crypto/rsa: decryption error');
    }
  }
  const type = key.type as SymmetricType;
  return open(type, symmetricKey(key, version, input.context, keyBytesOf(type)), body, input.aad);
}
