/**
 * A shared/exclusive lock per key inside this process. Many holders may share a key at once; an
 * exclusive holder has it alone. A waiting exclusive request goes before shared requests that
 * arrive after it, so a steady stream of shared holders cannot starve it.
 *
 * The token store uses it per token tree: creating children shares the parent's lock (children of
 * one parent never conflict with each other), revoking the parent takes it exclusively.
 */
type Mode = 'shared' | 'exclusive';

interface KeyState {
  readers: number;
  writer: boolean;
  queue: { mode: Mode; grant: () => void }[];
}

export class KeyedRwLock {
  private readonly keys = new Map<string, KeyState>();

  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, 'shared', fn);
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, 'exclusive', fn);
  }

  private async run<T>(key: string, mode: Mode, fn: () => Promise<T>): Promise<T> {
    await this.acquire(key, mode);
    try {
      return await fn();
    } finally {
      this.release(key, mode);
    }
  }

  private acquire(key: string, mode: Mode): Promise<void> | undefined {
    let state = this.keys.get(key);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.keys.set(key, state);
    }
    const free = !state.writer && state.queue.length === 0 && (mode === 'shared' || state.readers === 0);
    if (free) {
      if (mode === 'shared') state.readers++;
      else state.writer = true;
      return undefined;
    }
    const queued = state;
    return new Promise((resolve) => queued.queue.push({ mode, grant: resolve }));
  }

  private release(key: string, mode: Mode): void {
    const state = this.keys.get(key)!;
    if (mode === 'shared') state.readers--;
    else state.writer = false;
    // Grant in arrival order: a run of shared waiters together, or one exclusive waiter alone.
    while (state.queue.length > 0 && !state.writer) {
      const next = state.queue[0];
      if (next.mode === 'exclusive') {
        if (state.readers > 0) break;
        state.writer = true;
      } else {
        state.readers++;
      }
      state.queue.shift();
      next.grant();
    }
    if (state.readers === 0 && !state.writer && state.queue.length === 0) this.keys.delete(key);
  }

  /** Keys with holders or waiters (for tests: an idle lock holds nothing). */
  get size(): number {
    return this.keys.size;
  }
}
