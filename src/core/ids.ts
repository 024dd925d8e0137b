/** Random identifiers with Vault's shapes (base62 lease and token suffixes). */
import { randomFillSync } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * CSPRNG bytes drawn 1 KiB at a time: `randomBytes` per identifier cost ~5.6 us (a crypto job and a
 * Buffer per call, two per token creation) against ~0.3 us from the pool. Each byte is used once and
 * zeroed as it is taken, so memory holds only bytes no identifier has used yet.
 */
const pool = Buffer.alloc(1024);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const byte = pool[poolOffset];
  pool[poolOffset++] = 0;
  return byte;
}

const BASE62_CODES = Buffer.from(BASE62, 'latin1');
/**
 * Where an identifier's characters are assembled, zeroed once it is read out (see the pool above).
 * One string made from it instead of one per character appended: 10,000 instructions per 24-character
 * identifier against 20,200, and a token creation makes two.
 */
const scratch = Buffer.alloc(64);

/** Unbiased base62 from crypto randomness (rejection sampling: 248 = 4 × 62). */
export function base62(length: number): string {
  const chars = length <= scratch.length ? scratch : Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const byte = randomByte();
    if (byte < 248) chars[filled++] = BASE62_CODES[byte % 62];
  }
  const out = chars.toString('latin1', 0, length);
  chars.fill(0, 0, length);
  return out;
}

/** Base62 digits in ASCII order: fixed-width numbers written with them sort as their values do. */
const SORTABLE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TIME_DIGITS = 7; // 62^7 ms reach 2081

const TIME_PREFIX = new RegExp(`^[0-9A-Za-z]{${TIME_DIGITS}}$`);

/**
 * The place where timeOrderedBase62 writes the time: an id's first 7 characters, when they are base62
 * (ids made before it began with 7 random ones, which read the same); otherwise none.
 */
export function timePrefixOf(id: string): string | undefined {
  const prefix = id.slice(0, TIME_DIGITS);
  return TIME_PREFIX.test(prefix) ? prefix : undefined;
}

/**
 * A base62 identifier whose first seven characters are `nowMs` in sortable digits and the rest random
 * (17 more characters of a 24 are 101 bits). Identifiers made later sort after earlier ones, so as
 * storage keys they land at the end of their folder's range of the index rather than on random pages.
 */
export function timeOrderedBase62(nowMs: number, length: number): string {
  let time = '';
  for (let n = Math.floor(nowMs), i = 0; i < TIME_DIGITS; i++, n = Math.floor(n / 62))
    time = SORTABLE62[n % 62] + time;
  return time + base62(length - TIME_DIGITS);
}

/**
 * An index entry's name that sorts by time: `ms` in 12 hex digits, a dot, then `hash` (hex, so it has
 * no dot). Used where an index is keyed by a random hash but only ever listed or deleted, never
 * looked up by that hash: a token's children, a token's leases.
 */
export function timeOrderedName(ms: number, hash: string): string {
  return `${ms.toString(16).padStart(12, '0')}.${hash}`;
}

/** The hash of an index entry's name, whether time-ordered or the hash alone. */
export function hashOfName(name: string): string {
  return name.slice(name.indexOf('.') + 1);
}
