/**
 * Per-client state of one quota (request windows, blocks), keyed by client address, with bounded
 * memory: entries a sweep finds idle are dropped, and past `maxClients` the oldest entry makes room.
 */
import { OldestKey } from '../../framework/oldest-key.js';

export interface ClientTableLimits {
  /** At most this many clients are tracked; the next new one evicts the oldest. */
  maxClients: number;
  /** How often `sweep` runs, driven by the requests themselves (no timer to stop on seal). */
  sweepEveryMs: number;
}

/** Vault sweeps its limiter stores once a minute. 100,000 clients' windows measured 15 MB of heap. */
export const DEFAULT_CLIENT_LIMITS: ClientTableLimits = { maxClients: 100_000, sweepEveryMs: 60_000 };

export class ClientTable<V> {
  private readonly entries = new Map<string, V>();
  private readonly oldest = new OldestKey(this.entries);
  private nextSweep = 0;

  constructor(
    private readonly limits: ClientTableLimits,
    /** Whether an entry can go: dropping it must change nothing a client could notice. */
    private readonly idle: (value: V, now: number) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(client: string, now: number): V | undefined {
    if (now >= this.nextSweep) this.sweep(now);
    return this.entries.get(client);
  }

  /**
   * Adds a new client. At the cap the oldest entry goes: a client with many addresses could thereby
   * reset another's window, but could not grow memory; refusing new clients instead would shut out
   * everyone else.
   */
  add(client: string, value: V): void {
    if (this.entries.size >= this.limits.maxClients) {
      const evicted = this.oldest.next();
      if (evicted !== undefined) this.entries.delete(evicted);
    }
    this.entries.set(client, value);
  }

  delete(client: string): void {
    this.entries.delete(client);
  }

  sweep(now: number): void {
    this.nextSweep = now + this.limits.sweepEveryMs;
    for (const [client, value] of this.entries) if (this.idle(value, now)) this.entries.delete(client);
  }
}
