/**
 * The start-up loop of an auto seal (Vault's `runUnseal`): try to unseal with the stored keys until
 * it works, waiting longer after each failure. Vault waits a flat 5 s; here the wait starts shorter
 * and doubles up to that, with jitter, so a server comes up soon after its seal does.
 */
import type { Clock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';

export interface AutoUnsealOptions {
  /** One attempt: resolves true once unsealed (or nothing is left to do), false to try again later. */
  attempt: () => Promise<boolean>;
  clock: Clock;
  log: Logger;
  /** Names what is being waited for in each failure's log line (the seal's address, mount and key). */
  fields?: Record<string, unknown>;
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export class AutoUnsealLoop {
  private cancel?: () => void;
  private running = false;
  private failures = 0;

  constructor(private readonly options: AutoUnsealOptions) {}

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** The wait after `failures` failed attempts: base·2^(n-1), capped, minus up to 20% jitter. */
  delayAfter(failures: number): number {
    const { baseMs = 500, maxMs = 5000, random = Math.random } = this.options;
    const raw = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20));
    return Math.round(raw * (1 - 0.2 * random()));
  }

  private async run(): Promise<void> {
    if (!this.running) return;
    let done = false;
    try {
      done = await this.options.attempt();
    } catch (error) {
      // Never the error object: its fields could carry more than its message.
      this.options.log.warn('failed to unseal core', {
        error: (error as Error).message,
        ...this.options.fields,
      });
    }
    if (done || !this.running) {
      this.running = false;
      return;
    }
    this.failures++;
    this.cancel = this.options.clock.setTimer(this.delayAfter(this.failures), () => void this.run());
  }
}
