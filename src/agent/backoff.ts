/**
 * Exponential backoff with jitter for failed logins, as Vault's auto-auth does it: each wait doubles
 * up to the maximum, and a random 0-25% is taken off so many agents do not retry in step.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.current = minMs;
  }

  /** The wait before the next attempt; the one after it is twice as long, up to the maximum. */
  next(): number {
    const wait = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return Math.round(wait * (1 - 0.25 * this.random()));
  }

  /** After a success the next failure starts again from the minimum. */
  reset(): void {
    this.current = this.minMs;
  }
}

/** Resolves after `ms`, or at once (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
