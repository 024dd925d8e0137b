/**
 * Serialises async work per key inside this process (a secret id's use count, a user's failure
 * counter, a KV key's CAS check, a token's use count), so a read-modify-write of one storage
 * entry cannot interleave with another.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const settled = current.catch(() => undefined);
    this.tails.set(key, settled);
    try {
      return await current;
    } finally {
      // The last waiter cleans up, so the map holds only keys with work in flight.
      if (this.tails.get(key) === settled) this.tails.delete(key);
    }
  }
}
