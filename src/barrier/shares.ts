/**
 * Shamir shares as `sys/unseal` takes them, for unseal keys and recovery keys alike: decoding,
 * Vault's length bounds, de-duplication across callers, and combining once the threshold is met.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { combine } from 'shamir-secret-sharing';
import { invalid } from '../core/errors.js';

const MIN_SHARE_BYTES = 16;
const MAX_SHARE_BYTES = 33;

/** Vault's checks of a `{shares, threshold}` split, with its messages after `prefix`. */
export function validateSplit(
  shares: number,
  threshold: number,
  prefix = 'invalid seal configuration',
): void {
  const bad = (why: string) => invalid(`${prefix}: ${why}`);
  if (shares < 1) throw bad('shares must be at least one');
  if (threshold < 1) throw bad('threshold must be at least one');
  if (shares > 255) throw bad('shares must be less than 256');
  if (threshold > shares) throw bad('threshold cannot be larger than shares');
  if (shares > 1 && threshold === 1) throw bad('threshold must be greater than one for multiple shares');
}

/**
 * A split read back from storage, checked: `corrupt(why)` is the error naming the damaged entry (a
 * threshold of 0 or fewer shares than the threshold must stop the unseal, not pass for wrong keys).
 */
export function checkStoredSplit(
  config: { secret_shares?: unknown; secret_threshold?: unknown },
  corrupt: (why: string) => Error,
): { shares: number; threshold: number } {
  const { secret_shares: shares, secret_threshold: threshold } = config;
  if (!Number.isInteger(shares) || !Number.isInteger(threshold))
    throw corrupt('shares and threshold must be integers');
  try {
    validateSplit(shares as number, threshold as number);
  } catch (error) {
    throw corrupt((error as Error).message.replace(/^invalid seal configuration: /, ''));
  }
  return { shares: shares as number, threshold: threshold as number };
}

export function decodeShare(key: string): Buffer {
  const text = key.trim();
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  throw invalid("'key' must be a valid hex or base64 string");
}

/** Vault's bounds, checked before a share counts: an AES key (16 to 32 bytes) plus Shamir's byte. */
export function checkShareLength(share: Buffer): void {
  if (share.length < MIN_SHARE_BYTES) throw invalid(`key is shorter than minimum ${MIN_SHARE_BYTES} bytes`);
  if (share.length > MAX_SHARE_BYTES) throw invalid(`key is longer than maximum ${MAX_SHARE_BYTES} bytes`);
}

/** Shares given so far in one attempt; the attempt is shared by every caller, as in Vault. */
export class ShareCollector {
  private shares: Buffer[] = [];
  nonce = '';

  get progress(): number {
    return this.shares.length;
  }

  /** Records a share; false if this attempt already has it (it is then ignored, as Vault does). */
  add(share: Buffer): boolean {
    // constant-time: shares are secrets.
    if (this.shares.some((s) => s.length === share.length && timingSafeEqual(s, share))) return false;
    if (!this.nonce) this.nonce = randomUUID();
    this.shares.push(share);
    return true;
  }

  /** The secret, once `threshold` shares are in (a single share is the secret itself); else undefined. */
  async combined(threshold: number): Promise<Buffer | undefined> {
    if (this.shares.length < threshold) return undefined;
    if (threshold === 1) return Buffer.from(this.shares[0]);
    return Buffer.from(await combine(this.shares.map((s) => new Uint8Array(s))));
  }

  reset(): void {
    for (const share of this.shares) share.fill(0);
    this.shares = [];
    this.nonce = '';
  }
}
