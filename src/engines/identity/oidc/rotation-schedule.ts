/**
 * Automatic key rotation and pruning for one identity mount: a sweep rotates the keys that are due
 * and drops retired versions past their verification window, then sets a timer (on the injected
 * clock) for the soonest next rotation or expiry. It runs at unseal too, so rotations that fell due
 * while the server was sealed or down happen then.
 */
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { EngineContext } from '../../../framework/path.js';
import { expirePublicKeys, rotateDueKeys } from './key-ring.js';

/** After a failed sweep (storage unavailable) the next try comes this much later. */
const RETRY_MS = 60_000;

interface MountSchedule {
  cancelTimer?: () => void;
  sweeping: Promise<void>;
  stopped: boolean;
}

export class RotationSchedule {
  private readonly mounts = new Map<string, MountSchedule>();

  /** `lock` serialises sweeps with the key and role writes of the same mount. */
  constructor(private readonly lock: KeyedMutex) {}

  /** Sweeps now and keeps sweeping when due, until `stop`. */
  async start(ctx: EngineContext): Promise<void> {
    await this.stop(ctx);
    this.mounts.set(ctx.system.mountUuid, { sweeping: Promise.resolve(), stopped: false });
    await this.sweep(ctx);
  }

  /** Sweeps now (a key was created or changed: its rotation may come before the armed timer). */
  async sweep(ctx: EngineContext): Promise<void> {
    const mount = this.mounts.get(ctx.system.mountUuid);
    if (!mount || mount.stopped) return;
    mount.cancelTimer?.();
    const run = mount.sweeping.then(() => this.sweepOnce(ctx, mount));
    mount.sweeping = run;
    await run;
  }

  /** Resolves when no sweep is running for the mount. */
  async idle(ctx: EngineContext): Promise<void> {
    await this.mounts.get(ctx.system.mountUuid)?.sweeping;
  }

  async stop(ctx: EngineContext): Promise<void> {
    const mount = this.mounts.get(ctx.system.mountUuid);
    if (!mount) return;
    mount.stopped = true;
    mount.cancelTimer?.();
    await mount.sweeping;
    this.mounts.delete(ctx.system.mountUuid);
  }

  private async sweepOnce(ctx: EngineContext, mount: MountSchedule): Promise<void> {
    if (mount.stopped) return;
    let delay = RETRY_MS;
    try {
      const wake = await this.lock.run(ctx.system.mountUuid, async () => {
        const now = ctx.clock.now();
        const nextRotation = await rotateDueKeys(ctx.storage, now);
        const nextExpiry = await expirePublicKeys(ctx.storage, now);
        return Math.min(nextRotation, nextExpiry);
      });
      delay = Math.max(1000, wake - ctx.clock.now());
    } catch (error) {
      ctx.log.warn('OIDC key rotation failed; retrying', { error: (error as Error).name });
    }
    if (mount.stopped) return;
    mount.cancelTimer?.();
    mount.cancelTimer = ctx.clock.setTimer(delay, () => {
      this.sweep(ctx).catch(() => undefined); // sweepOnce logs its own failures
    });
  }
}
