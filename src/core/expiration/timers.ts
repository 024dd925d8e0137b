/** In-memory timers for the items due soon, with a cap on how many fire handlers run at once. */
import type { Clock } from '../../framework/clock.js';
import { type DueItem, hashId } from './due-index.js';

export class Timers {
  private readonly cancels = new Map<string, () => void>();
  private readonly queue: DueItem[] = [];
  private running = 0;

  constructor(
    private readonly clock: Clock,
    private readonly parallel: number,
    private readonly onFire: (item: DueItem) => Promise<void>,
    /** Failures the fire handler did not handle itself; logged, never thrown into the timer. */
    private readonly onError?: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.cancels.size + this.queue.length;
  }

  schedule(item: DueItem): void {
    const key = hashId(item.kind, item.id);
    this.cancels.get(key)?.();
    const delay = Math.max(0, item.at - this.clock.now());
    this.cancels.set(
      key,
      this.clock.setTimer(delay, () => {
        this.cancels.delete(key);
        this.queue.push(item);
        this.drain();
      }),
    );
  }

  cancel(item: Pick<DueItem, 'kind' | 'id'>): void {
    const key = hashId(item.kind, item.id);
    this.cancels.get(key)?.();
    this.cancels.delete(key);
  }

  clear(): void {
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
    this.queue.length = 0;
  }

  private drain(): void {
    while (this.running < this.parallel && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.running++;
      this.onFire(item)
        .catch((error: unknown) => this.onError?.(error))
        .finally(() => {
          this.running--;
          this.drain();
        });
    }
  }
}
