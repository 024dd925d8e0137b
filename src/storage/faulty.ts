/**
 * Test-only: a StorageBackend that fails a seeded-random share of operations (SECURITY.md G3). Not
 * wired into the server; tests wrap a real backend in it to check that a storage fault becomes a 5xx
 * and never a half-applied write, a stale cache or an unhandled rejection.
 */

import { mulberry32 } from '../framework/seeded-random.js';
import type { PrefixProbe, StorageBackend, TxOp } from './backend.js';
import { isPrefixProbe } from './backend.js';

export class StorageFault extends Error {
  constructor(op: string) {
    super(`injected storage fault (${op})`);
    this.name = 'StorageFault';
  }
}

export interface FaultOptions {
  seed: number;
  /** Share of operations that fail, 0..1. */
  rate: number;
  /**
   * Share of failing writes that fail after they were applied (a commit whose acknowledgement was
   * lost, as with a dropped connection): the caller sees an error, storage holds the new value.
   */
  afterApply?: number;
}

export class FaultyStorage implements StorageBackend, PrefixProbe {
  /** Faults are injected only while enabled. */
  enabled = false;
  readonly counts = { ops: 0, faults: 0 };
  private readonly random: () => number;

  constructor(
    private readonly inner: StorageBackend,
    private readonly options: FaultOptions,
  ) {
    this.random = mulberry32(options.seed);
  }

  get type(): string {
    return this.inner.type;
  }

  /** Whether this operation fails; after a yield, so failures and successes interleave as in a real store. */
  private async fails(): Promise<boolean> {
    await Promise.resolve();
    this.counts.ops++;
    if (!this.enabled || this.random() >= this.options.rate) return false;
    this.counts.faults++;
    return true;
  }

  private async write(name: string, apply: () => Promise<void>): Promise<void> {
    if (!(await this.fails())) return apply();
    if (this.random() < (this.options.afterApply ?? 0)) await apply();
    throw new StorageFault(name);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (await this.fails()) throw new StorageFault('get');
    return this.inner.get(key);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.write('put', () => this.inner.put(key, value));
  }

  delete(key: string): Promise<void> {
    return this.write('delete', () => this.inner.delete(key));
  }

  async list(prefix: string): Promise<string[]> {
    if (await this.fails()) throw new StorageFault('list');
    return this.inner.list(prefix);
  }

  async hasAnyUnder(prefix: string): Promise<boolean> {
    if (await this.fails()) throw new StorageFault('hasAnyUnder');
    if (isPrefixProbe(this.inner)) return this.inner.hasAnyUnder(prefix);
    return (await this.inner.list(prefix)).length > 0;
  }

  transaction(ops: TxOp[]): Promise<void> {
    return this.write('transaction', () => this.inner.transaction(ops));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
