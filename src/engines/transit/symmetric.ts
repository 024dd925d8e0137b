/**
 * AES-GCM and ChaCha20-Poly1305 as Vault's keysutil lays them out: a 12-byte nonce, then the
 * ciphertext, then the 16-byte tag. Keys for derived policies come from HKDF-SHA256 (no salt, the
 * context as info); convergent (v3) nonces are the first 12 bytes of HMAC-SHA256(plaintext) under a
 * second derived key.
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import { freshNonce } from '../../framework/nonce-pool.js';
import type { SymmetricType } from './key-types.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Node's name for each type; both AEADs take the same GCM-style calls (setAAD, auth tag). */
const CIPHERS: Record<SymmetricType, CipherGCMTypes> = {
  'aes128-gcm96': 'aes-128-gcm',
  'aes256-gcm96': 'aes-256-gcm',
  'chacha20-poly1305': 'chacha20-poly1305' as CipherGCMTypes,
};

export const keyBytesOf = (type: SymmetricType) => (type === 'aes128-gcm96' ? 16 : 32);

const HASH_BYTES = 32;

/**
 * HKDF-SHA256 (RFC 5869) with no salt and the context as info, as Go's hkdf.New. Written out over
 * HMAC because Node's hkdfSync refuses an info longer than 1024 bytes, and Go sets no limit on the
 * contexts callers send.
 */
export function deriveBytes(secret: Uint8Array, context: Uint8Array, length: number): Buffer {
  if (length > 255 * HASH_BYTES) throw new RangeError('HKDF-SHA256 output is at most 8160 bytes');
  // Extract: an absent salt is a string of HashLen zeros.
  const prk = createHmac('sha256', Buffer.alloc(HASH_BYTES)).update(secret).digest();
  // Expand: T(i) = HMAC(PRK, T(i-1) || info || i).
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * HASH_BYTES < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(context).update(Buffer.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

const AAD_NONCE_LABEL = 'coffer transit convergent nonce with associated data';

/**
 * The nonce of a convergent (version 3) encryption: deterministic per key and plaintext, and per
 * associated data when there is some. Vault hashes the plaintext alone, so one plaintext under two
 * AADs reuses a GCM nonce, which gives away the authentication key and lets tags be forged. With AAD
 * the HMAC here also covers it, length-prefixed, under a key of its own (so no AAD-less plaintext can
 * be built to collide); without AAD the nonce, and so the ciphertext, is Vault's.
 */
export function convergentNonce(hmacKey: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  if (!aad?.length) return createHmac('sha256', hmacKey).update(plaintext).digest().subarray(0, NONCE_BYTES);
  const aadKey = createHmac('sha256', hmacKey).update(AAD_NONCE_LABEL).digest();
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(aad.length));
  return createHmac('sha256', aadKey)
    .update(length)
    .update(aad)
    .update(plaintext)
    .digest()
    .subarray(0, NONCE_BYTES);
}

export function seal(
  type: SymmetricType,
  key: Uint8Array,
  plaintext: Uint8Array,
  nonce: Uint8Array = freshNonce(),
  aad?: Uint8Array,
): Buffer {
  const cipher = createCipheriv(CIPHERS[type], key, nonce, { authTagLength: TAG_BYTES });
  if (aad) cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/** Opens `nonce || ciphertext || tag`; a wrong key or any changed byte is Go's AEAD error, a 400. */
export function open(type: SymmetricType, key: Uint8Array, data: Uint8Array, aad?: Uint8Array): Buffer {
  if (data.length < NONCE_BYTES) throw invalid('invalid ciphertext length');
  if (data.length < NONCE_BYTES + TAG_BYTES) throw invalid('cipher: message authentication failed');
  const nonce = data.subarray(0, NONCE_BYTES);
  const body = data.subarray(NONCE_BYTES, data.length - TAG_BYTES);
  const decipher = createDecipheriv(CIPHERS[type], key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  if (aad) decipher.setAAD(aad, { plaintextLength: body.length });
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    // Node's own text names nothing secret either, but clients expect Go's.
    throw invalid('cipher: message authentication failed');
  }
}
