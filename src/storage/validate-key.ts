/** Key rules every backend enforces, so a bad key fails the same way everywhere (and never half a transaction). */
import { CofferError, invalid } from '../core/errors.js';
import type { TxOp } from './backend.js';

/** The longest key, in UTF-8 bytes, of the backends that hold any key (a backend may allow fewer). */
export const MAX_KEY_BYTES = 4096;

export function validateKey(key: string, maxBytes = MAX_KEY_BYTES): void {
  if (key === '') throw invalid('storage key is empty');
  if (key.includes('\u0000')) throw invalid('storage key contains NUL');
  if (Buffer.byteLength(key) > maxBytes) throw invalid(`storage key is longer than ${maxBytes} bytes`);
}

/**
 * The largest stored value: Vault's integrated storage refuses entries over 1 MiB (`max_entry_size`),
 * and so does every backend here, so one secret cannot take 32 MiB of storage, and 10 versions of it
 * 320 MiB (SECURITY.md 1.11, F7).
 */
export const MAX_VALUE_BYTES = 1 << 20;

export function validateOps(ops: TxOp[], maxBytes = MAX_KEY_BYTES): void {
  for (const op of ops) {
    validateKey(op.key, maxBytes);
    if (op.op === 'put' && op.value.byteLength > MAX_VALUE_BYTES) {
      // Raft's words; 413 as Vault answers its ErrValueTooLarge. The whole transaction is refused.
      throw new CofferError(
        'body_too_large',
        `put failed due to value being too large; got ${op.value.byteLength} bytes, max: ${MAX_VALUE_BYTES} bytes`,
      );
    }
  }
}

/**
 * A folder handed to a prefix probe or a name scan: ends with "/" (the root "" only where `root` is
 * allowed), and would make valid keys.
 */
export function validateFolder(
  folder: string,
  use: 'probed prefix' | 'scanned folder',
  root = false,
  maxKeyBytes = MAX_KEY_BYTES,
): void {
  if (!(root && folder === '') && !folder.endsWith('/')) throw invalid(`a ${use} ends with "/"`);
  validateKey(`${folder}x`, maxKeyBytes);
}
