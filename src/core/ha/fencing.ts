/**
 * Watches an HA backend for fenced writes: the first sign that another node holds the lock. The
 * writer gets a coded error (a 500 naming the fence, never a crash) and the node steps down.
 */
import type { StorageBackend } from '../../storage/backend.js';
import { FencedWriteError } from '../../storage/ha.js';
import { internal } from '../errors.js';

export function watchFencing<T extends StorageBackend>(backend: T, onFenced: () => void): T {
  const rethrow = (error: unknown): never => {
    if (!(error instanceof FencedWriteError)) throw error;
    onFenced();
    throw internal(error.message, { cause: error });
  };
  // A proxy keeps the backend's optional capabilities (scanNames, hasAnyUnder, haLock) visible.
  return new Proxy(backend, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.catch(rethrow) : result;
      };
    },
  });
}
