/**
 * Password hashing with scrypt, on worker threads of its own at a lower priority, never on the event
 * loop (kdf-pool.ts). Each hash keeps its own salt and cost parameters, so the cost can rise later
 * without breaking stored users.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { KdfPool } from './kdf-pool.js';

export interface PasswordHash {
  algorithm: 'scrypt';
  /** Cost parameters: N (CPU/memory), r (block size), p (parallelism). */
  n: number;
  r: number;
  p: number;
  salt: string; // base64
  hash: string; // base64
}

/** Injected into the userpass engine, so a test can count verifications or use a cheaper cost. */
export interface PasswordHasher {
  hash(password: string): Promise<PasswordHash>;
  verify(password: string, stored: PasswordHash): Promise<boolean>;
  /** A hash of a random password: verified against when the user does not exist, so both paths cost the same. */
  dummy(): Promise<PasswordHash>;
}

const KEY_LENGTH = 64;
/** One of OWASP's equivalent scrypt minimums (N=2^15, r=8, p=3): 32 MiB per hash instead of 128. */
const DEFAULT_COST = { n: 1 << 15, r: 8, p: 3 };

const MAX_CONCURRENT_HASHES = 4;

/**
 * How many hashes run at once, process-wide: one less than the cores this process may run on
 * (availableParallelism counts its CPU affinity), so the event loop keeps a core to itself; one on a
 * single core, where more would only share it (measured: 6.0 verifications/s with one or four). At
 * most four, as libuv's pool had: a login storm then holds 128 MiB of scrypt memory, not 32 a core.
 */
export function kdfConcurrency(cores: number): number {
  return Math.max(1, Math.min(MAX_CONCURRENT_HASHES, cores - 1));
}

const kdfPool = new KdfPool(kdfConcurrency(availableParallelism()));

function derive(password: string, salt: Buffer, cost: { n: number; r: number; p: number }): Promise<Buffer> {
  return kdfPool.scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, {
    N: cost.n,
    r: cost.r,
    p: cost.p,
    // Node refuses anything above 32 MiB by default; allow exactly what the parameters need.
    maxmem: 128 * cost.n * cost.r * cost.p + 1024 * 1024,
  });
}

export function createScryptHasher(cost = DEFAULT_COST): PasswordHasher {
  let dummy: Promise<PasswordHash> | undefined;
  const hasher: PasswordHasher = {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, cost);
      return { algorithm: 'scrypt', ...cost, salt: salt.toString('base64'), hash: key.toString('base64') };
    },
    async verify(password, stored) {
      const expected = Buffer.from(stored.hash, 'base64');
      const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
      // constant-time: compares a password-derived secret
      return key.length === expected.length && timingSafeEqual(key, expected);
    },
    dummy() {
      dummy ??= hasher.hash(randomBytes(32).toString('base64'));
      return dummy;
    },
  };
  return hasher;
}
