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
/** Longest a seal waits for the last count to be stored. */
const STOP_WAIT_MS = 1_000;

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

  /**
   * Stops the checks and stores the last count, before the barrier seals. At most STOP_WAIT_MS: a
   * storage that hangs must not hold up the seal (and the wiping of the keys). A count not stored
   * then is at most ROTATION_CHECK_MS of encryptions short; a write that lands after the seal is not
   * installed (Barrier.writeKeyring).
   */
  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    const store = (this.running ?? Promise.resolve())
      .then(() => this.barrier.persistEncryptions())
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([store, cap]);
    clearTimeout(timer);
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
