/**
 * One rate-limit quota and its verdicts, per client address. Counting follows Vault's limiter store
 * (sethvargo/go-limiter): a client gets round(rate) requests per interval, in fixed windows that start
 * at its first request and refill in full at each boundary. With `block_interval` set, a client that
 * goes over is refused for that long, whatever its window says.
 */
import { ClientTable, type ClientTableLimits, DEFAULT_CLIENT_LIMITS } from './client-table.js';

export interface RateLimitQuotaSpec {
  name: string;
  /** Route prefix of the mount (`secret/`, `auth/approle/`); '' for a global quota. */
  mountPath: string;
  /** What follows the mount (`data/app`), no trailing slash; a trailing `*` makes it a prefix. */
  pathSuffix: string;
  /** A login role of an auth mount (then `pathSuffix` is ''); absent or '' for none. */
  role?: string;
  rate: number;
  intervalSeconds: number;
  blockIntervalSeconds: number;
}

/** What one request gets, and the numbers behind Vault's X-Ratelimit-* and Retry-After headers. */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Absent while the client is blocked: Vault then sends Retry-After alone. */
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
  retryAfterSeconds?: number;
}

interface Window {
  start: number;
  tick: number;
  available: number;
}

/**
 * Vault's store forgets a client 3 minutes after its window started, which with a long interval
 * forgives a client early; here a window is forgotten only 3 minutes after it ended, when a fresh one
 * would be full anyway.
 */
const STALE_AFTER_MS = 3 * 60_000;

/** Go's int(d.Seconds()): whole seconds, truncated. */
const seconds = (ms: number) => Math.trunc(ms / 1000);

export class RateLimitQuota {
  /** Requests per window: the rate rounded, at least 1, as Vault's store takes it. */
  readonly tokens: number;
  private readonly intervalMs: number;
  private readonly blockMs: number;
  private readonly windows: ClientTable<Window>;
  private readonly blocked: ClientTable<number>;

  constructor(
    readonly spec: RateLimitQuotaSpec,
    limits: ClientTableLimits = DEFAULT_CLIENT_LIMITS,
  ) {
    this.tokens = Math.max(1, Math.round(spec.rate));
    // Vault treats an interval of 0 as 1 s.
    this.intervalMs = (spec.intervalSeconds || 1) * 1000;
    this.blockMs = spec.blockIntervalSeconds * 1000;
    const intervalMs = this.intervalMs;
    this.windows = new ClientTable<Window>(
      limits,
      (w, now) => now - (w.start + (w.tick + 1) * intervalMs) > STALE_AFTER_MS,
    );
    this.blocked = new ClientTable<number>(limits, (until, now) => now >= until);
  }

  /** Tracked clients, for tests of the memory bound. */
  get clients(): number {
    return this.windows.size + this.blocked.size;
  }

  allow(client: string, now: number): RateLimitVerdict {
    if (this.blockMs > 0) {
      const until = this.blocked.get(client, now);
      if (until !== undefined) {
        if (now < until) return { allowed: false, retryAfterSeconds: seconds(until - now) };
        this.blocked.delete(client);
      }
    }
    const verdict = this.take(client, now);
    if (!verdict.allowed) {
      verdict.retryAfterSeconds = verdict.resetSeconds;
      if (this.blockMs > 0) {
        this.blocked.add(client, now + this.blockMs);
        verdict.retryAfterSeconds = seconds(this.blockMs);
      }
    }
    return verdict;
  }

  private take(client: string, now: number): RateLimitVerdict {
    let window = this.windows.get(client, now);
    if (window === undefined) {
      window = { start: now, tick: 0, available: this.tokens };
      this.windows.add(client, window);
    }
    const tick = Math.max(0, Math.floor((now - window.start) / this.intervalMs));
    if (tick > window.tick) {
      window.tick = tick;
      window.available = this.tokens;
    }
    const resetSeconds = seconds(window.start + (tick + 1) * this.intervalMs - now);
    const allowed = window.available > 0;
    if (allowed) window.available--;
    return { allowed, limit: this.tokens, remaining: window.available, resetSeconds };
  }
}
