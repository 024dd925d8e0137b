/**
 * Automatic barrier key rotation (Vault's `sys/rotate/config`): while unsealed, every few seconds the
 * active term's encryption count is stored with the keyring (so it survives restarts), and the key is
 * rotated once it has made `max_operations` encryptions or is older than `interval`.
 */
import type { Barrier } from '../barrier/barrier.js';
import type { Clock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';

/** How often the count is stored and the thresholds checked. */
export const ROTATION_CHECK_MS = 5_000;

export class KeyRotation {
  private cancel?: () => void;
  private running?: Promise<void>;

  constructor(
    private readonly barrier: Barrier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    const loop = () => {
      this.cancel = this.clock.setTimer(ROTATION_CHECK_MS, () => {
        this.running = this.check().finally(() => {
          this.running = undefined;
          if (this.cancel) loop();
        });
      });
    };
    loop();
  }

  /** Stops the checks and stores the last count (before the barrier seals). */
  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    await this.running;
    await this.barrier.persistEncryptions().catch(() => undefined);
  }

  /** One round: store the count, then rotate if a threshold is reached. */
  async check(): Promise<void> {
    try {
      if (this.barrier.isSealed()) return;
      await this.barrier.persistEncryptions();
      const config = this.barrier.rotationConfig();
      if (!config.enabled) return;
      const status = this.barrier.keyStatus();
      const byCount = status.encryptions >= config.maxOperations;
      const byAge =
        config.intervalSeconds > 0 &&
        this.clock.now() - status.installTime.getTime() >= config.intervalSeconds * 1000;
      if (!byCount && !byAge) return;
      const rotated = await this.barrier.rotate(this.clock.now());
      this.log.info('barrier key rotated automatically', {
        term: rotated.term,
        reason: byCount ? 'max_operations' : 'interval',
      });
    } catch (error) {
      // Storage down or sealed meanwhile: the next round tries again. The error's name only.
      this.log.warn('automatic key rotation check failed', {
        error: error instanceof Error ? error.name : 'error',
      });
    }
  }
}
