/**
 * The HA election of one unsealed node (Vault's `runStandby`/`waitForLeadership`): a standby tries
 * the lock until it gets it and then becomes active; the active node renews the lock and steps down
 * when it loses it (a failed renewal, a fenced write) or is told to (`sys/step-down`).
 */
import type { Clock } from '../../framework/clock.js';
import type { Logger } from '../../framework/log.js';
import type { HaLeader, HaLock } from '../../storage/ha.js';

/** Vault's `manualStepDownSleepPeriod`: a node that stepped down leaves the lock to the others this long. */
export const STEP_DOWN_SLEEP_MS = 10_000;
/** Vault's PostgreSQL lock: a standby tries again every second (`PostgreSQLLockRetryInterval`). */
const RETRY_MS = 1_000;
/** A lock call that got no answer in time. */
const TIMED_OUT = Symbol('timed out');

export type Role = 'active' | 'standby';

export interface ElectionOptions {
  lock: HaLock;
  clock: Clock;
  log: Logger;
  /** How long a hold lasts without renewal; the active node renews every third of it. */
  ttlMs: number;
  /** Builds the active state (after re-reading the keyring); a failure gives the lock up again. */
  becomeActive(): Promise<void>;
  /** Tears the active state down once the requests in flight end; the barrier stays unsealed. */
  becomeStandby(): Promise<void>;
  stepDownSleepMs?: number;
}

export class Election {
  private currentRole: Role = 'standby';
  private since = 0;
  private stopped = true;
  private cancelTimer?: () => void;
  /** Every transition and lock call runs in this chain, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private lastRenewed = 0;
  private holdOffUntil = 0;
  private seen?: HaLeader;

  constructor(private readonly options: ElectionOptions) {}

  get role(): Role {
    return this.currentRole;
  }

  /** When this node last became active (ms since the epoch); 0 while standby. */
  get activeSince(): number {
    return this.currentRole === 'active' ? this.since : 0;
  }

  /** Between start and stop. */
  get running(): boolean {
    return !this.stopped;
  }

  get nodeId(): string {
    return this.options.lock.nodeId;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.options.log.info('entering standby mode', { node_id: this.nodeId });
    this.schedule(0);
  }

  /** Stops electing; an active node tears its state down and gives the lock up (seal, shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.enqueue(() => this.leave('stopping', 0));
  }

  /** `sys/step-down`: give the lock up once the requests in flight end, and leave it to the others a while. */
  stepDown(): Promise<void> {
    return this.enqueue(() => this.leave('stepping down from active operation to standby', this.sleepMs));
  }

  /** A write was fenced: this node does not hold the lock any more. */
  lost(): void {
    void this.enqueue(() => this.leave('leadership lost (fenced write), stopping active operation', 0));
  }

  /**
   * The active node as last seen by this standby, or asked now when none was seen yet. Never this
   * node: between its state's teardown and the lock's release a standby would forward to itself.
   */
  async leader(): Promise<HaLeader | undefined> {
    return this.seen ?? this.otherLeader();
  }

  private async otherLeader(): Promise<HaLeader | undefined> {
    // Bounded as every lock call: a question that never answers would hold the chain, and a seal, for ever.
    const found = await this.bounded(this.options.lock.leader(), this.options.ttlMs).catch(() => undefined);
    return found === TIMED_OUT || found?.nodeId === this.nodeId ? undefined : found;
  }

  private get sleepMs(): number {
    return this.options.stepDownSleepMs ?? STEP_DOWN_SLEEP_MS;
  }

  private get renewMs(): number {
    return Math.max(1, Math.floor(this.options.ttlMs / 3));
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain
      .then(step)
      .catch((error: unknown) => this.options.log.error('HA transition failed', { error: describe(error) }));
    this.chain = run;
    return run;
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.options.clock.setTimer(ms, () => {
      void this.enqueue(() => this.tick()).then(() => {
        if (this.stopped) return;
        if (this.currentRole !== 'active') return this.schedule(this.retryMs);
        // After failed renewals, the next one comes no later than the end of the last confirmed hold.
        const left = this.lastRenewed + this.options.ttlMs - this.options.clock.now();
        this.schedule(Math.max(0, Math.min(this.renewMs, left)));
      });
    });
  }

  private get retryMs(): number {
    return Math.min(RETRY_MS, this.renewMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.currentRole === 'active') return this.renew();
    if (this.options.clock.now() < this.holdOffUntil) return;
    const { lock, log, clock, ttlMs } = this.options;
    // The hold is counted from before the request: the database starts it no earlier.
    const sent = clock.now();
    let acquired = false;
    try {
      // An attempt that never answers is given up after a TTL, or `stop` (a seal) would wait for ever.
      acquired = (await this.bounded(lock.tryAcquire(), ttlMs)) === true;
    } catch (error) {
      log.warn('failed to acquire the HA lock', { error: describe(error) });
    }
    if (!acquired) {
      this.seen = await this.otherLeader();
      return;
    }
    log.info('acquired lock, enabling active operation', { node_id: this.nodeId });
    // The node last seen active has lost the lock: while this one builds its state, requests get the
    // no-active-node answer at once instead of being forwarded to it (dead, or a standby now).
    this.seen = undefined;
    this.lastRenewed = sent;
    try {
      await this.options.becomeActive();
    } catch (error) {
      log.error('post-unseal setup failed', { error: describe(error) });
      await this.bounded(lock.release(), ttlMs).catch(() => undefined);
      return;
    }
    this.currentRole = 'active';
    this.since = clock.now();
    this.seen = undefined;
    // Building the state took a while: the hold is confirmed now rather than a renewal interval later.
    if (clock.now() - this.lastRenewed >= this.renewMs) await this.renew();
  }

  /** `work`, or TIMED_OUT once `ms` have passed on this node's clock without an answer. */
  private bounded<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    if (ms <= 0) {
      work.catch(() => undefined);
      return Promise.resolve(TIMED_OUT);
    }
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.setTimer(ms, () => resolve(TIMED_OUT));
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  /**
   * A renewal that fails outright (the database unreachable) does not end the hold until a TTL has
   * passed since the last good one: the lock is judged by the database's clock, and writes are fenced.
   * A renewal that never answers (a cut connection) is given up when that TTL runs out, by this node's
   * own clock: an active node never serves past the hold it last confirmed.
   */
  private async renew(): Promise<void> {
    const now = this.options.clock.now();
    let held: boolean;
    try {
      const answer = await this.bounded(
        this.options.lock.renew(),
        this.lastRenewed + this.options.ttlMs - now,
      );
      if (answer === TIMED_OUT)
        this.options.log.warn('renewing the HA lock timed out', { node_id: this.nodeId });
      held = answer === true;
    } catch (error) {
      this.options.log.warn('renewing the HA lock failed', { error: describe(error) });
      held = now - this.lastRenewed < this.options.ttlMs;
      if (held) return;
    }
    if (held) {
      this.lastRenewed = now;
      return;
    }
    await this.leave('leadership lost, stopping active operation', 0);
  }

  private async leave(reason: string, holdOffMs: number): Promise<void> {
    if (this.currentRole !== 'active') return;
    this.options.log.warn(reason, { node_id: this.nodeId });
    this.currentRole = 'standby';
    this.since = 0;
    this.holdOffUntil = this.options.clock.now() + holdOffMs;
    try {
      await this.options.becomeStandby();
    } finally {
      // A release that never answers is left to lapse by itself (a TTL at most).
      await this.bounded(this.options.lock.release(), this.options.ttlMs).catch((error: unknown) =>
        this.options.log.warn('releasing the HA lock failed', { error: describe(error) }),
      );
    }
  }
}

/** The error's name only: storage errors can carry what was written. */
function describe(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
