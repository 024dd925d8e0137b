/**
 * Vault's user lockout for auth methods that check a per-user secret (userpass; LDAP can reuse it):
 * after `threshold` failures, each within `counterReset` of the previous one, the user is refused
 * for `duration`. State lives in the mount's storage so a restart unlocks no one, and
 * `sys/locked-users` reaches it through the engine's `userLockout` property.
 */
import { sha256Hex } from '../core/sha256.js';
import type { Engine } from '../framework/engine.js';
import { KeyedMutex } from '../framework/keyed-mutex.js';
import type { EngineContext, LockoutPolicy } from '../framework/path.js';

export type { LockoutPolicy };

/** Vault's defaults: 5 failures, locked 15 minutes, counter forgotten after 15 quiet minutes. */
export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = {
  threshold: 5,
  durationMs: 15 * 60_000,
  counterResetMs: 15 * 60_000,
};

/**
 * One layer of lockout settings: the server config's `user_lockout "all"` block, its block for the
 * method's type, or a mount's tuning (`user_lockout_config`). Unset (or 0) means the layer below.
 */
export interface LockoutSettings {
  threshold?: number;
  durationSeconds?: number;
  counterResetSeconds?: number;
  disable?: boolean;
}

/** The server's layers: `user_lockout "<all|type>"` blocks by label, and `VAULT_DISABLE_USER_LOCKOUT`. */
export interface ServerLockoutSettings {
  blocks?: Record<string, LockoutSettings>;
  disabledByEnvironment?: boolean;
}

/** A lockout threshold as Vault takes it (a whole number, or its decimal text); 0 means unset. */
export function parseLockoutThreshold(value: unknown, refuse: () => Error): number | undefined {
  const text = String(value);
  if (!/^\d{1,9}$/.test(text)) throw refuse();
  return Number(text) || undefined;
}

/**
 * The policy in force for a mount, from its layers (least specific first), or undefined when lockout
 * is disabled: by any layer's `disable` (the most specific layer that says wins) or by the
 * `VAULT_DISABLE_USER_LOCKOUT` environment variable, as in Vault.
 */
export function effectiveLockout(
  layers: readonly (LockoutSettings | undefined)[],
  disabledByEnvironment = false,
): LockoutPolicy | undefined {
  const policy = { ...DEFAULT_LOCKOUT_POLICY };
  let disabled = disabledByEnvironment;
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.threshold) policy.threshold = layer.threshold;
    if (layer.durationSeconds) policy.durationMs = layer.durationSeconds * 1000;
    if (layer.counterResetSeconds) policy.counterResetMs = layer.counterResetSeconds * 1000;
    if (layer.disable !== undefined && !disabledByEnvironment) disabled = layer.disable;
  }
  return disabled ? undefined : policy;
}

interface FailureRecord {
  alias: string;
  count: number;
  lastFailureAt: number;
}

export type AttemptOutcome = 'ok' | 'failed' | 'locked';
type Deps = Pick<EngineContext, 'storage' | 'clock' | 'system'>;

const PREFIX = 'lockout/';

export class UserLockout {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly normaliseAlias: (alias: string) => string = (alias) => alias,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY,
  ) {}

  /**
   * One login attempt for `alias`: `verify` runs even when locked (a locked user costs the same time
   * as any other) unless `verify` spends something, as an AppRole secret ID's use: then a locked alias
   * is refused before it. Attempts for one alias are serialised so concurrent guesses cannot all slip
   * in before the counter reaches the threshold.
   */
  async attempt(
    deps: Deps,
    alias: string,
    verify: () => Promise<boolean>,
    options: { verifyWhenLocked?: boolean } = {},
  ): Promise<AttemptOutcome> {
    const policy = this.policyOf(deps);
    if (!policy) return (await verify()) ? 'ok' : 'failed'; // lockout disabled: nothing counted
    const name = this.normaliseAlias(alias);
    return this.mutex.run(`${deps.system.mountUuid}/${name}`, async () => {
      const now = deps.clock.now();
      const stored = await deps.storage.readJson<FailureRecord>(keyOf(name));
      const record = this.current(policy, stored, now);
      const locked = record !== undefined && this.isLocked(policy, record, now);
      if (locked && options.verifyWhenLocked === false) return 'locked';
      const matched = await verify();
      if (locked) return 'locked';
      if (matched) {
        if (stored) await deps.storage.delete(keyOf(name));
        return 'ok';
      }
      const next = { alias: name, count: (record?.count ?? 0) + 1, lastFailureAt: now };
      await deps.storage.putJson(keyOf(name), next);
      return 'failed';
    });
  }

  /** Aliases locked right now, sorted. */
  async lockedUsers(deps: Deps): Promise<string[]> {
    const policy = this.policyOf(deps);
    if (!policy) return [];
    const now = deps.clock.now();
    const locked: string[] = [];
    for (const key of await deps.storage.list(PREFIX)) {
      const record = await deps.storage.getJson<FailureRecord>(PREFIX + key);
      if (record && this.isLocked(policy, record, now)) locked.push(record.alias);
    }
    return locked.sort();
  }

  /** Idempotent, as Vault's unlock is: an alias that is not locked is simply left alone. */
  async unlock(deps: Deps, alias: string): Promise<void> {
    const name = this.normaliseAlias(alias);
    await this.mutex.run(`${deps.system.mountUuid}/${name}`, () => deps.storage.delete(keyOf(name)));
  }

  /** The mount's policy in force now (it may be tuned at any time); undefined when disabled. */
  private policyOf(deps: Deps): LockoutPolicy | undefined {
    return deps.system.userLockout ? deps.system.userLockout() : this.policy;
  }

  private isLocked(policy: LockoutPolicy, record: FailureRecord, now: number): boolean {
    return record.count >= policy.threshold && now < record.lastFailureAt + policy.durationMs;
  }

  /** Drops a record whose lockout has ended or whose failures are older than the counter reset. */
  private current(
    policy: LockoutPolicy,
    record: FailureRecord | undefined,
    now: number,
  ): FailureRecord | undefined {
    if (!record) return undefined;
    if (this.isLocked(policy, record, now)) return record;
    const quietFor = now - record.lastFailureAt;
    const lockEnded = record.count >= policy.threshold;
    return lockEnded || quietFor >= policy.counterResetMs ? undefined : record;
  }
}

/** Storage keys never hold the user-chosen name itself; the record inside does. */
function keyOf(alias: string): string {
  return PREFIX + sha256Hex(alias);
}

/** An engine whose mounts keep user lockout state. */
export type LockoutEngine = Engine & { readonly userLockout: UserLockout };

export function userLockoutOf(engine: Engine): UserLockout | undefined {
  const candidate = (engine as Partial<LockoutEngine>).userLockout;
  return candidate instanceof UserLockout ? candidate : undefined;
}
