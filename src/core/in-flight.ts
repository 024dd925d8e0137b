/**
 * The requests the unsealed core is serving, so that a seal waits for them: Vault's state lock, which
 * every request holds for reading and a seal takes for writing (vault/core.go `cancelCtxAndLock`).
 */
import type { Clock } from '../framework/clock.js';

/**
 * One request's hold. The list below links these, never the requests themselves, and `leave` clears
 * the request. A linked list, not a Set: a Set with one entry added and one removed per request is
 * rehashed again and again, and V8 keeps each replaced hash table in the old generation until the
 * next full GC, where the young-generation GC counts what they point to as alive; and every hold
 * added to a Set has its identity hash computed and stored. Linking two neighbours does neither
 * (enter and leave were 1.5% of a kv2-read's CPU profile with the Set).
 */
export interface Hold {
  request: object | undefined;
  /** Set when a seal stopped waiting for it: the state it ran on is gone. */
  abandoned: boolean;
}

/** A hold with its place in the list; `linked` is false once it left. */
interface LinkedHold extends Hold {
  previous: LinkedHold | undefined;
  next: LinkedHold | undefined;
  linked: boolean;
}

export class InFlight {
  /** The newest hold in flight; each links to the one admitted before it. */
  private newest: LinkedHold | undefined;
  private count = 0;
  private closed = false;
  private drained?: () => void;

  /** Admits a request until a seal begins; undefined once one has. */
  enter(request: object): Hold | undefined {
    if (this.closed) return undefined;
    const hold: LinkedHold = {
      request,
      abandoned: false,
      previous: undefined,
      next: this.newest,
      linked: true,
    };
    if (this.newest) this.newest.previous = hold;
    this.newest = hold;
    this.count++;
    return hold;
  }

  /** Idempotent. */
  leave(hold: Hold): void {
    hold.request = undefined;
    const linked = hold as LinkedHold;
    if (!linked.linked) return;
    this.unlink(linked);
    if (this.count === 0) this.drained?.();
  }

  private unlink(hold: LinkedHold): void {
    hold.linked = false;
    if (hold.previous) hold.previous.next = hold.next;
    else this.newest = hold.next;
    if (hold.next) hold.next.previous = hold.previous;
    hold.previous = undefined;
    hold.next = undefined;
    this.count--;
  }

  /** The holds in flight, newest first; safe to unlink the one just returned. */
  private *holds(): Generator<LinkedHold> {
    for (let hold = this.newest; hold; ) {
      const next = hold.next;
      yield hold;
      hold = next;
    }
  }

  /** The request that seals leaves first, as Vault's `sealInitCommon` releases its lock. */
  leaveRequest(request: object): void {
    for (const hold of this.holds()) {
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
    if (this.count > 0) {
      await new Promise<void>((resolve) => {
        const cancel = clock.setTimer(graceMs, resolve);
        this.drained = () => {
          cancel();
          resolve();
        };
      });
      this.drained = undefined;
    }
    for (const hold of this.holds()) {
      hold.abandoned = true;
      hold.request = undefined;
      this.unlink(hold);
    }
  }

  open(): void {
    this.closed = false;
  }
}
