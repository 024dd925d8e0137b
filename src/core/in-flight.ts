/**
 * The requests the unsealed core is serving, so that a seal waits for them: Vault's state lock, which
 * every request holds for reading and a seal takes for writing (vault/core.go `cancelCtxAndLock`).
 */
import type { Clock } from '../framework/clock.js';

/**
 * One request's hold. The set below holds these, never the request itself, and `leave` clears the
 * request: a set with one entry added and one removed per request is rehashed again and again, and V8
 * keeps each replaced hash table (entries and a link to its successor) in the old generation until
 * the next full GC, where the young-generation GC counts what they point to as alive. Holding the
 * requests there promoted every request that waited across an event-loop turn (docs/performance.md).
 */
export interface Hold {
  request: object | undefined;
  /** Set when a seal stopped waiting for it: the state it ran on is gone. */
  abandoned: boolean;
}

export class InFlight {
  private readonly held = new Set<Hold>();
  private closed = false;
  private drained?: () => void;

  /** Admits a request until a seal begins; undefined once one has. */
  enter(request: object): Hold | undefined {
    if (this.closed) return undefined;
    const hold: Hold = { request, abandoned: false };
    this.held.add(hold);
    return hold;
  }

  /** Idempotent. */
  leave(hold: Hold): void {
    hold.request = undefined;
    if (this.held.delete(hold) && this.held.size === 0) this.drained?.();
  }

  /** The request that seals leaves first, as Vault's `sealInitCommon` releases its lock. */
  leaveRequest(request: object): void {
    for (const hold of this.held) {
      if (hold.request === request) {
        this.leave(hold);
        return;
      }
    }
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
    for (const hold of this.held) {
      hold.abandoned = true;
      hold.request = undefined;
    }
    this.held.clear();
  }

  open(): void {
    this.closed = false;
  }
}
