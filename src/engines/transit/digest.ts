/** Vault's hash algorithm names mapped to Node's, for hash/, hmac/ and sign/. */
import { invalid } from '../../core/errors.js';
import { HASHES } from '../../framework/random-and-hash.js';

// hmac/ and sign/ also take SHA-1, which hash/ does not.
const ALGORITHMS: Record<string, string> = { sha1: 'sha1', ...HASHES };

export function nodeHashOf(algorithm: string): string {
  const name = Object.hasOwn(ALGORITHMS, algorithm) ? ALGORITHMS[algorithm] : undefined;
  if (!name) throw invalid(`unsupported algorithm ${algorithm}`);
  return name;
}
