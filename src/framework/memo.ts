/**
 * A bounded memo for a pure string function, oldest entry dropped first. Used for salted HMACs:
 * OpenSSL's per-call setup made one HMAC a measurable part of a cached read under load, and the
 * same tokens, accessors and values are hashed again and again.
 */
import { OldestKey } from './oldest-key.js';

export function memoizeString(
  fn: (value: string) => string,
  options: { limit: number; maxInputLength?: number },
): (value: string) => string {
  const memo = new Map<string, string>();
  const oldest = new OldestKey(memo);
  const maxInputLength = options.maxInputLength ?? Number.POSITIVE_INFINITY;
  return (value) => {
    const known = memo.get(value);
    if (known !== undefined) return known;
    const result = fn(value);
    if (value.length <= maxInputLength) {
      if (memo.size >= options.limit) memo.delete(oldest.next()!);
      memo.set(value, result);
    }
    return result;
  };
}
