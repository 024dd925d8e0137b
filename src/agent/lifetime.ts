/**
 * Keeps the auto-auth token alive the way Vault's LifetimeWatcher does, and says when to log in again.
 * It renews at about 2/3 of the TTL (plus a third of a 10-20% grace period, the jitter). Once a renewal
 * no longer extends the TTL (the max TTL is near), or the token cannot be renewed, it waits until the
 * grace period and hands back, so the agent logs in again before the token expires. A renewal the
 * server refuses (a 4xx: the token was revoked or is invalid) hands back at once. A renewal that could
 * not be made (the server is down, a 5xx) is retried with a growing wait, as Vault's LifetimeWatcher
 * ignores such errors until the grace period: a blip does not cost a new login (a new token, and a
 * secret ID that may have been used up).
 */
import { ApiError } from '../client/errors.js';
import { sleep } from './backoff.js';

export interface TokenLifetime {
  /** Seconds the token lives from now; 0 means it never expires. */
  leaseSeconds: number;
  renewable: boolean;
}

export type LifetimeEnd = 'stopped' | 'expiring' | 'renewal failed';

export interface LifetimeOptions {
  initial: TokenLifetime;
  /** Renews the token (`auth/token/renew-self`); throws on any failure. */
  renew: () => Promise<TokenLifetime>;
  signal: AbortSignal;
  random?: () => number;
  now?: () => number;
  /** Waits `ms` (false once the signal aborts); tests pass one that moves a virtual clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
  onRenewed?: (lifetime: TokenLifetime) => void;
  onRenewalError?: (error: unknown) => void;
  /** The first wait before retrying a renewal that could not be made (Vault: 10 s), doubled up to 5 min. */
  retryMs?: number;
}

const MAX_RETRY_MS = 5 * 60_000;

/** The server answered, and said no: the token is revoked, expired or unknown. Retrying will not help. */
function isRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** Vault's grace: 10% of the lease plus a random share of another 10%, so clients do not renew in step. */
export function graceMs(leaseMs: number, random: () => number): number {
  if (leaseMs <= 0) return 0;
  const jitterMax = 0.1 * leaseMs;
  return jitterMax + Math.floor(random() * jitterMax);
}

/** How long to wait before retrying a failed renewal, or how the watch ends. */
function afterFailedRenewal(
  error: unknown,
  signal: AbortSignal,
  leftMs: number,
  retryMs: number,
): LifetimeEnd | number {
  if (signal.aborted) return 'stopped';
  if (isRefusal(error)) return 'renewal failed';
  return leftMs <= 0 ? 'expiring' : Math.min(retryMs, leftMs);
}

/** Resolves when the agent should log in again (or was stopped), with the reason. */
export async function watchLifetime(options: LifetimeOptions): Promise<LifetimeEnd> {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const { signal } = options;
  if (options.initial.leaseSeconds <= 0) {
    // A token without a TTL never needs renewing nor replacing.
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return 'stopped';
  }
  let renewable = options.initial.renewable;
  let issuedAt = now();
  let leaseMs = options.initial.leaseSeconds * 1000;
  let priorMs = leaseMs;
  let grace = graceMs(leaseMs, random);
  let retryMs = options.retryMs ?? 10_000;
  while (!signal.aborted) {
    let remainingMs: number;
    if (!renewable) {
      remainingMs = issuedAt + leaseMs - now();
    } else {
      let renewed: TokenLifetime;
      try {
        renewed = await options.renew();
      } catch (error) {
        options.onRenewalError?.(error);
        // Retry while the token still has more than its grace period to live.
        const next = afterFailedRenewal(error, signal, issuedAt + leaseMs - now() - grace, retryMs);
        if (typeof next !== 'number') return next;
        retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        if (!(await wait(next, signal))) return 'stopped';
        continue;
      }
      retryMs = options.retryMs ?? 10_000;
      options.onRenewed?.(renewed);
      renewable = renewed.renewable;
      issuedAt = now();
      leaseMs = renewed.leaseSeconds * 1000;
      remainingMs = leaseMs;
    }
    // While renewals extend the lease the grace follows it; once they stop, the max TTL is near.
    if (remainingMs > priorMs) grace = graceMs(remainingMs, random);
    const sleepMs = (remainingMs * 2) / 3 + grace / 3;
    priorMs = remainingMs;
    if (remainingMs <= grace || remainingMs - sleepMs <= grace) return 'expiring';
    if (!(await wait(sleepMs, signal))) return 'stopped';
  }
  return 'stopped';
}
