/**
 * A counting semaphore: at most `size` of the tasks given to `run` are in flight at once; the rest
 * wait in arrival order. For work that holds a scarce process resource while it runs (a libuv
 * thread and 32 MiB for each password hash).
 */
export class Slots {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('slots: size must be a positive integer');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inUse < this.size) this.inUse++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inUse--;
    }
  }
}
