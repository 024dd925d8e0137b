/**
 * 12-byte AES-GCM / ChaCha20-Poly1305 nonces from the CSPRNG, drawn 4 KiB at a time instead of one
 * call into OpenSSL per nonce: that call was ~5% of a token creation in the barrier, and ~6% of a
 * transit encrypt's server time. Each nonce is used once, in order; nonces are public (stored beside
 * the ciphertext), so holding the next ones in memory reveals nothing.
 */
import { randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const POOL_BYTES = NONCE_BYTES * 341;
let pool = Buffer.alloc(0);
let offset = 0;

/** A fresh random 12-byte nonce (a view into the pool: it is never handed out twice). */
export function freshNonce(): Buffer {
  if (offset + NONCE_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const nonce = pool.subarray(offset, offset + NONCE_BYTES);
  offset += NONCE_BYTES;
  return nonce;
}
