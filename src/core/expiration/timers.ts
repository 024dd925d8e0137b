/**
 * In-memory timers for the items due soon, with a cap on how many fire handlers run at once.
 * One clock timer for the earliest item and a min-heap for the rest: 100k leases cost 100k small
 * heap entries instead of 100k Node timers (and their closures).
 */
import type { Clock } from '../../framework/clock.js';
import type { DueRef } from './due-index.js';

export class Timers {
  /** What is scheduled now, by id hash; a ref in the heap that is no longer here was cancelled. */
  private readonly scheduled = new Map<string, DueRef>();
  /** Ordered by `at`, which a ref never changes: the refs themselves, no wrapper object per entry. */
  private heap: DueRef[] = [];
  private armedAt = Number.POSITIVE_INFINITY;
  private disarm?: () => void;
  private readonly queue: DueRef[] = [];
  private running = 0;
  /** Ids taken off the heap to fire whose handler has not finished (queued or running). */
  private readonly firing = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly parallel: number,
    private readonly onFire: (ref: DueRef) => Promise<void>,
    /**
     * Failures the fire handler did not handle itself; logged, never thrown into the timer. What it
     * returns is scheduled once the handler is done, unless something newer was scheduled for the id.
     */
    private readonly onError?: (error: unknown, ref: DueRef) => DueRef | undefined,
    /** Called when the last running handler finishes and nothing is queued: a burst has been handled. */
    private readonly onIdle?: () => void,
  ) {}

  get size(): number {
    return this.scheduled.size + this.queue.length;
  }

  /**
   * A ref read back from the due index (the periodic loader): scheduled only if its id is neither
   * scheduled nor firing. What is scheduled came from the write itself and is at least as new; and an
   * entry whose handler is still running (a revocation waiting on its source) stays in the index
   * until the handler is done, so loading it then fired the same lease twice at once: two revocations
   * racing on its retry count.
   */
  load(ref: DueRef): void {
    if (this.scheduled.has(ref.idHash) || this.firing.has(ref.idHash)) return;
    this.schedule(ref);
  }

  /** Schedules `ref`, replacing what was scheduled for the same id. */
  schedule(ref: DueRef): void {
    this.scheduled.set(ref.idHash, ref);
    this.push(ref);
    if (ref.at < this.armedAt) this.arm();
  }

  cancel(idHash: string): void {
    this.scheduled.delete(idHash);
    // Cancelled entries stay in the heap until popped; rebuild when they outnumber the live ones.
    if (this.heap.length > 1024 && this.heap.length > 2 * this.scheduled.size) this.rebuild();
  }

  clear(): void {
    this.scheduled.clear();
    this.heap = [];
    this.disarm?.();
    this.disarm = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.queue.length = 0;
    this.firing.clear();
  }

  private isLive(ref: DueRef): boolean {
    return this.scheduled.get(ref.idHash) === ref;
  }

  private arm(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0])) this.pop();
    this.disarm?.();
    this.disarm = undefined;
    this.armedAt = this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
    if (this.heap.length === 0) return;
    this.disarm = this.clock.setTimer(Math.max(0, this.armedAt - this.clock.now()), () => this.fireDue());
  }

  private fireDue(): void {
    this.disarm = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const ref = this.pop();
      if (!this.isLive(ref)) continue;
      this.scheduled.delete(ref.idHash);
      this.firing.add(ref.idHash);
      this.queue.push(ref);
    }
    this.drain();
    this.arm();
  }

  private drain(): void {
    while (this.running < this.parallel && this.queue.length > 0) {
      const ref = this.queue.shift()!;
      this.running++;
      let retry: DueRef | undefined;
      this.onFire(ref)
        .catch((error: unknown) => {
          retry = this.onError?.(error, ref);
        })
        .finally(() => {
          this.firing.delete(ref.idHash);
          if (retry && !this.scheduled.has(ref.idHash)) this.schedule(retry);
          this.running--;
          this.drain();
          if (this.running === 0 && this.queue.length === 0) this.onIdle?.();
        });
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const ref of this.scheduled.values()) this.push(ref);
  }

  private push(ref: DueRef): void {
    const heap = this.heap;
    heap.push(ref);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= ref.at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = ref;
  }

  private pop(): DueRef {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right].at < heap[left].at ? right : left;
        if (heap[child].at >= last.at) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
