/**
 * Deadlines for the file device's batched writes, kept with one interval timer rather than a timer
 * per write: every audited request makes two writes, and the per-write timer showed in its profile.
 * A write still pending at its deadline fails at the next check, so it fails between `timeoutMs` and
 * 1.25 × `timeoutMs` after it started.
 */
interface InFlight {
  deadline: number;
  /** Cleared once the write is done, for the reason core/deadline.ts gives. */
  fail: ((error: Error) => void) | undefined;
}

export class WriteDeadlines {
  /** Insertion order is deadline order: every write gets the same timeout. */
  private readonly inFlight = new Set<InFlight>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  bound(write: Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: InFlight = { deadline: performance.now() + this.timeoutMs, fail: reject };
      this.inFlight.add(entry);
      this.arm();
      write.then(
        () => {
          this.forget(entry);
          resolve();
        },
        (error: unknown) => {
          this.forget(entry);
          reject(error);
        },
      );
    });
  }

  private forget(entry: InFlight): void {
    this.inFlight.delete(entry);
    entry.fail = undefined;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), Math.max(1, Math.floor(this.timeoutMs / 4)));
    this.timer.unref();
  }

  private check(): void {
    const now = performance.now();
    for (const entry of this.inFlight) {
      if (entry.deadline > now) break;
      const fail = entry.fail;
      this.forget(entry);
      fail?.(new Error(`audit device did not answer within ${this.timeoutMs}ms`));
    }
    if (this.inFlight.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
