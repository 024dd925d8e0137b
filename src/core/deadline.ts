/**
 * Vault's `max_request_duration`: an engine that has not answered in time fails its request with a
 * 500, so a hung database or upstream cannot hold a client and its connection for ever. JavaScript
 * cannot stop the engine's work; when it finishes after the deadline, `onLate` undoes what nobody
 * will receive (a credential created at its source).
 */
import { CofferError } from './errors.js';

/** Vault's text for a cancelled request context, which Vault clients and operators search for. */
export const DEADLINE_EXCEEDED = 'context deadline exceeded';

export function withDeadline<T>(
  work: Promise<T>,
  ms: number | undefined,
  onLate: (value: T) => Promise<void>,
): Promise<T> {
  if (!ms) return work;
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new CofferError('internal', DEADLINE_EXCEEDED));
    }, ms);
    work.then(
      (value) => {
        if (!late) {
          clearTimeout(timer);
          resolve(value);
        } else {
          // onLate handles its own failures; nothing may reach the client it no longer has.
          void onLate(value);
        }
      },
      (error: unknown) => {
        if (late) return; // the client already has its 500
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
