/**
 * One encrypted entry: `term (uint32 BE) | version (1) | nonce (12) | ciphertext | tag (16)`, AES-256-GCM
 * with a fresh random nonce and the storage path as additional data, so an entry copied to another
 * path fails authentication.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { internal } from '../core/errors.js';
import { freshNonce } from '../framework/nonce-pool.js';

const VERSION = 1;
const HEADER = 4 + 1 + 12;
const TAG = 16;

export function encryptEntry(key: Uint8Array, term: number, path: string, plaintext: Uint8Array): Uint8Array {
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(path, 'utf8'));
  const body = cipher.update(plaintext);
  cipher.final();
  const out = Buffer.allocUnsafe(HEADER + body.length + TAG);
  out.writeUInt32BE(term, 0);
  out[4] = VERSION;
  nonce.copy(out, 5);
  body.copy(out, HEADER);
  cipher.getAuthTag().copy(out, HEADER + body.length);
  return out;
}

/** The key term an entry was written under (read before choosing the key). */
export function termOf(entry: Uint8Array): number {
  if (entry.length < HEADER + TAG || entry[4] !== VERSION) throw internal('failed to decrypt: invalid entry');
  return Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).readUInt32BE(0);
}

/** The error of an entry whose authentication fails: a wrong key, or tampered bytes. */
export const AUTH_FAILED = 'failed to decrypt: message authentication failed';

export function decryptEntry(key: Uint8Array, path: string, entry: Uint8Array): Uint8Array {
  const bytes = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  if (bytes.length < HEADER + TAG || bytes[4] !== VERSION) throw internal('failed to decrypt: invalid entry');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(5, HEADER));
  decipher.setAAD(Buffer.from(path, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
  try {
    const plain = decipher.update(bytes.subarray(HEADER, bytes.length - TAG));
    decipher.final();
    return plain;
  } catch {
    // The message names no data: a tampered or misplaced entry is refused, nothing more.
    throw internal(AUTH_FAILED);
  }
}
