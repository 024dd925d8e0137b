/**
 * A value now, or a promise of it. Hot read paths return the value itself when a cache answers: an
 * `await` costs a turn of the microtask queue even when nothing is pending (~65 ns on the bench VM),
 * and a cached KV read used to pass through about 25 of them (docs/performance.md). A caller that can
 * go on at once tests with `isPromise` and awaits only a real promise; any other caller just awaits.
 *
 * A function that returns one never throws: it fails with a rejected promise, as an async function
 * does, so a caller that chains on the result (or hands it to `Promise.all`) sees every failure the
 * same way.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `next(value)`: at once when the value is here, else once it arrives. A throw becomes a rejection. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  if (isPromise(value)) return value.then(next);
  try {
    return next(value);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `run()`, with a throw turned into a rejection, as an async function would. */
export function attempt<T>(run: () => MaybePromise<T>): MaybePromise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}
