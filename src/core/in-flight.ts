/**
 * The requests the unsealed core is serving, so that a seal waits for them: Vault's state lock, which
 * every request holds for reading and a seal takes for writing (vault/core.go `cancelCtxAndLock`).
 */
import type { Clock } from '../framework/clock.js';

export class InFlight {
  private readonly held = new Set<object>();
  /** Requests a seal stopped waiting for: the state they ran on is gone. */
  private readonly abandoned = new WeakSet<object>();
  private closed = false;
  private drained?: () => void;

  /** Admits a request until a seal begins. */
  enter(request: object): boolean {
    if (this.closed) return false;
    this.held.add(request);
    return true;
  }

  /** Idempotent: the request that seals leaves first, as Vault's `sealInitCommon` releases its lock. */
  leave(request: object): void {
    if (this.held.delete(request) && this.held.size === 0) this.drained?.();
  }

  wasAbandoned(request: object): boolean {
    return this.abandoned.has(request);
  }

  /**
   * Refuses new requests and waits for those in flight, at most `graceMs` (Vault then cancels its
   * active context): a hung request must not hold the seal forever.
   */
  async close(graceMs: number, clock: Clock): Promise<void> {
    this.closed = true;
    if (this.held.size > 0) {
      await new Promise<void>((resolve) => {
        const cancel = clock.setTimer(graceMs, resolve);
        this.drained = () => {
          cancel();
          resolve();
        };
      });
      this.drained = undefined;
    }
    for (const request of this.held) this.abandoned.add(request);
    this.held.clear();
  }

  open(): void {
    this.closed = false;
  }
}
