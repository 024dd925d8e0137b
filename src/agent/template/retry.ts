/** Retries with exponential, jittered backoff, as consul-template retries a failed fetch. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts after the first; Vault Agent's default (`vault.retry.num_retries`) is 12. */
  retries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 12, baseMs: 250, maxMs: 60_000 };

export async function withRetries<T>(
  run: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry?: (attempt: number, error: Error) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= policy.retries || signal.aborted) throw error;
      onRetry?.(attempt + 1, error as Error);
      const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      await sleep(backoff / 2 + (Math.random() * backoff) / 2, undefined, { signal });
    }
  }
}
