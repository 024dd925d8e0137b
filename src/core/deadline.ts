/**
 * Vault's `max_request_duration`: an engine that has not answered in time fails its request with a
 * 500, so a hung database or upstream cannot hold a client and its connection for ever. JavaScript
 * cannot stop the engine's work; when it finishes after the deadline, `onLate` undoes what nobody
 * will receive (a credential created at its source).
 *
 * One sweep every SWEEP_MS finds the requests past their deadline, rather than a timer per request:
 * setTimeout and clearTimeout cost ~1.2 us a request, 2% of a KV read. Deadlines are at least a
 * second (config.ts), so firing up to SWEEP_MS late changes nothing a client sees.
 */

import { isPromise, type MaybePromise } from '../framework/maybe-promise.js';
import { CofferError } from './errors.js';

/** Vault's text for a cancelled request context, which Vault clients and operators search for. */
export const DEADLINE_EXCEEDED = 'context deadline exceeded';

const SWEEP_MS = 100;

interface InFlight {
  /** performance.now() time at which it fails. */
  deadline: number;
  /**
   * Cleared when the request leaves the set: V8 keeps a rehashed set's old tables, and what they point
   * to, alive for the young-generation GC until the next full GC (src/core/in-flight.ts), so an entry
   * that is gone must no longer reach the request's promise.
   */
  expire: (() => void) | undefined;
}

const inFlight = new Set<InFlight>();
let sweeper: NodeJS.Timeout | undefined;

/** Takes a request out of the set and empties its entry (see `expire`). */
function forget(request: InFlight): void {
  inFlight.delete(request);
  request.expire = undefined;
}

function sweep(): void {
  const now = performance.now();
  for (const request of inFlight) {
    if (request.deadline > now) continue;
    const expire = request.expire;
    forget(request);
    expire?.();
  }
  if (inFlight.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** `work`, failed after `ms`. Work already done (a cached answer, see MaybePromise) is returned as it is. */
export function withDeadline<T>(
  work: MaybePromise<T>,
  ms: number | undefined,
  onLate: (value: T) => Promise<void>,
): MaybePromise<T> {
  if (!ms || !isPromise(work)) return work;
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const request: InFlight = {
      deadline: performance.now() + ms,
      expire: () => {
        late = true;
        reject(new CofferError('internal', DEADLINE_EXCEEDED));
      },
    };
    inFlight.add(request);
    // It stops once nothing is in flight, so it keeps no idle process alive.
    sweeper ??= setInterval(sweep, SWEEP_MS);
    work.then(
      (value) => {
        if (!late) {
          forget(request);
          resolve(value);
        } else {
          // onLate handles its own failures; nothing may reach the client it no longer has.
          void onLate(value);
        }
      },
      (error: unknown) => {
        if (late) return; // the client already has its 500
        forget(request);
        reject(error);
      },
    );
  });
}
