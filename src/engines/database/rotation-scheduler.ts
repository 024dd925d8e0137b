/**
 * Rotates static roles when their period or schedule comes due, and finishes rotations left
 * pending by a failure or a crash. One per mount: started in `initialize`, stopped in `cleanup`.
 */
import type { Logger } from '../../framework/log.js';
import { nextRotation } from './schedule.js';
import { type RotationDeps, rotateStaticRole } from './static-rotation.js';
import { loadStaticRole } from './store.js';

const TICK_MS = 5_000;
/** A role whose rotation failed waits this long before the next try (Vault also waits 10 s). */
const RETRY_MS = 10_000;

export class RotationScheduler {
  private cancelTimer?: () => void;
  private running?: Promise<void>;
  private stopped = true;
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly deps: RotationDeps & { log: Logger },
    private readonly tickMs = TICK_MS,
  ) {}

  /** The first pass runs at once, so pending passwords are settled right after startup. */
  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  private arm(ms: number): void {
    this.cancelTimer = this.deps.clock.setTimer(ms, () => {
      // A storage failure (listing or reading roles) must not become an unhandled rejection,
      // which would end the process; the next tick simply tries again.
      this.running = this.runDue()
        .catch((error: unknown) => {
          this.deps.log.warn('static role rotation pass failed; will retry', {
            error: error instanceof Error ? error.message : 'error',
          });
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.arm(this.tickMs);
        });
    });
  }

  /** Stops the timer and waits for a pass in progress, so no rotation runs on a closed pool. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.running;
  }

  async runDue(): Promise<void> {
    const now = this.deps.clock.now();
    for (const name of await this.deps.storage.list('static-role/')) {
      if (this.stopped) return;
      if ((this.retryAt.get(name) ?? 0) > now) continue;
      const role = await loadStaticRole(this.deps.storage, name);
      if (!role || (!role.pending && nextRotation(role) > now)) continue;
      try {
        await rotateStaticRole(this.deps, name, { onlyIfDue: true });
        this.retryAt.delete(name);
      } catch (error) {
        this.retryAt.set(name, now + RETRY_MS);
        // The plugin has already stripped passwords from its messages.
        this.deps.log.warn('static role rotation failed; will retry', {
          role: name,
          error: error instanceof Error ? error.message : 'error',
        });
      }
    }
  }
}
