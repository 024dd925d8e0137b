/**
 * The map holds a cell, emptied when its work is done, not the promise itself: V8 keeps a rehashed
 * map's old tables, and what they point to, alive for the young-generation GC until the next full GC
 * (src/core/in-flight.ts), and a promise reaches the whole request waiting on it.
 */
interface Tail {
  settled: Promise<unknown> | undefined;
}

/**
 * Serialises async work per key inside this process (a secret id's use count, a user's failure
 * counter, a KV key's CAS check, a token's use count), so a read-modify-write of one storage
 * entry cannot interleave with another.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Tail>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key)?.settled ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const tail: Tail = { settled: current.catch(() => undefined) };
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // The last waiter cleans up, so the map holds only keys with work in flight.
      if (this.tails.get(key) === tail) this.tails.delete(key);
      tail.settled = undefined;
    }
  }
}
