/** Key rules every backend enforces, so a bad key fails the same way everywhere (and never half a transaction). */
import { invalid } from '../core/errors.js';
import type { TxOp } from './backend.js';

/** The longest key, in UTF-8 bytes, of the backends that hold any key (a backend may allow fewer). */
export const MAX_KEY_BYTES = 4096;

export function validateKey(key: string, maxBytes = MAX_KEY_BYTES): void {
  if (key === '') throw invalid('storage key is empty');
  if (key.includes('\u0000')) throw invalid('storage key contains NUL');
  if (Buffer.byteLength(key) > maxBytes) throw invalid(`storage key is longer than ${maxBytes} bytes`);
}

export function validateOps(ops: TxOp[], maxBytes = MAX_KEY_BYTES): void {
  for (const op of ops) validateKey(op.key, maxBytes);
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
