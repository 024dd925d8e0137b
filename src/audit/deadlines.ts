/**
 * Deadlines for the file device's batched writes, kept with one interval timer rather than a timer
 * per write: every audited request makes two writes, and the per-write timer showed in its profile.
 * A write still pending at its deadline fails at the next check, so it fails between `timeoutMs` and
 * 1.25 × `timeoutMs` after it started.
 */
interface InFlight {
  deadline: number;
  fail: (error: Error) => void;
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
          this.inFlight.delete(entry);
          resolve();
        },
        (error: unknown) => {
          this.inFlight.delete(entry);
          reject(error);
        },
      );
    });
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
      this.inFlight.delete(entry);
      entry.fail(new Error(`audit device did not answer within ${this.timeoutMs}ms`));
    }
    if (this.inFlight.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
