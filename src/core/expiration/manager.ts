/**
 * The expiration manager: every leased secret is persisted with its expiry, indexed by the token
 * that created it, and revoked at its source when it ends. Revocation that fails is retried with
 * jittered exponential backoff, then marked irrevocable and retried slowly, across restarts.
 */
import type { Clock } from '../../framework/clock.js';
import type { Engine } from '../../framework/engine.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { Logger } from '../../framework/log.js';
import type { LogicalResponse, SecretLease } from '../../framework/logical.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { EngineContext } from '../../framework/path.js';
import { type JointOps, jsonBytes, type StorageView } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';
import { invalid } from '../errors.js';
import { timeOrderedBase62, timeOrderedName } from '../ids.js';
import { sha256Hex } from '../sha256.js';
import { DueIndex, type DueItem, type DueRef, hashId, refOf } from './due-index.js';
import type { LeaseEntry } from './lease.js';
import { Timers } from './timers.js';

export interface LeaseOwner {
  engine: Engine;
  ctx: EngineContext;
}

export interface ExpirationDeps {
  storage: StorageView; // `sys/expire/`
  clock: Clock;
  log: Logger;
  resolve(path: string): LeaseOwner | undefined;
  /**
   * Revokes the token with this accessor if it has expired by `now`, committing `alongside` (its due
   * entry's removal) in the same transaction as its deletion: 'revoked'. 'none' when there is no such
   * token or it never expires, and `alongside` was not applied. Otherwise the later expire time of a
   * token renewed meanwhile, and nothing was done.
   */
  expireToken(accessor: string, now: number, alongside: JointOps): Promise<'revoked' | 'none' | number>;
  /** In [0, 1): the retry delays' jitter (Math.random unless a test fixes it). */
  random?: () => number;
}

const HORIZON_MS = 10 * 60_000;
const RETRY_BASE_MS = 1000;
const MAX_FAST_RETRIES = 6;
const IRREVOCABLE_RETRY_MS = 10 * 60_000;
const MAX_PARALLEL_REVOCATIONS = 64;
/**
 * Expiration handlers running at once, across all mounts. A handler keeps its place until its lease's
 * deletion is durable, not only while the source answers. At 64, as many as a mount's sources take,
 * the handlers waiting for a WAL sync kept the sources half idle: 10,000 Redis leases due in the same
 * second took 1.8-2.6 s to revoke. Four times as many let the waiting ones share one sync while the
 * sources stay busy (1.3-1.6 s); the sources still see at most MAX_PARALLEL_REVOCATIONS each. The
 * sweeps of a prefix or a token's leases run as wide, for the same reason.
 */
const MAX_PARALLEL_EXPIRATIONS = 4 * MAX_PARALLEL_REVOCATIONS;
/** Longest wait before a failed expiration handler runs again (see fireFailed). */
const MAX_HANDLER_RETRY_MS = 30_000;
/** Longest stretch the unseal-time loader runs before letting requests in. */
const LOAD_SLICE_MS = 5;

/** Storage ops of the due index, to be committed by another component, and what to do after. */
export interface DueEntry extends JointOps {
  arm: () => void;
}

export class ExpirationManager {
  private readonly due: DueIndex;
  private readonly timers: Timers;
  /**
   * The cap on revocations at once at each mount's sources, whatever asks for them (a timer, a token's
   * sweep, the API). Capping fire handlers and each sweep alone let an expiring token's sweep run its
   * own 64 under each of 64 handlers: 200 tokens with 10 leases each due together sent 500
   * revocations at the databases at once. Per mount, so revocations the API asks for at a healthy
   * mount do not queue behind a dead one's; the fire handlers, though, are shared by all mounts.
   */
  private readonly sourceSlots = new WeakMap<EngineContext, Slots>();
  /**
   * One revocation of a lease at a time. A lease due together with its token was revoked at its
   * source twice, by its own timer and by the token's sweep; the second now finds it gone.
   */
  private readonly revoking = new KeyedMutex();
  private loadedUntil = 0;
  /**
   * Set while sealed or shutting down: a revocation cut short by the seal leaves its due entry as it
   * was (already due), so the next unseal retries it at once instead of after a retry delay.
   */
  private stopped = false;
  private stopLoader?: () => void;
  /** Resolves once every due bucket present at unseal has been loaded into timers. */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ExpirationDeps) {
    this.due = new DueIndex(deps.storage.sub('due/'));
    this.timers = new Timers(
      deps.clock,
      MAX_PARALLEL_EXPIRATIONS,
      (ref) => this.fire(ref),
      (error, ref) => this.fireFailed(error, ref),
      () => this.endBurst(),
    );
  }

  /**
   * A handler that failed before it could record a retry of its own (storage down: the due entry, the
   * lease or the retry's write could not be read or written) fires again from memory, with backoff.
   * Its due entry stays in storage, but the periodic loader finds it only up to HORIZON_MS / 2 later:
   * a lease due during a storage outage outlived it by minutes after storage came back.
   */
  private fireFailed(error: unknown, ref: DueRef): DueRef | undefined {
    const name = error instanceof Error ? error.name : 'error';
    // Sealed or shutting down: the due entry fires again after the next unseal.
    if (this.stopped) return void this.deps.log.error('expiration handler failed', { error: name });
    const failures = (ref.failures ?? 0) + 1;
    // Jittered like lease retries: the items of one outage do not all come back in one instant.
    const jitter = 0.5 + (this.deps.random ?? Math.random)();
    const delay = Math.min(Math.round(RETRY_BASE_MS * 2 ** (failures - 1) * jitter), MAX_HANDLER_RETRY_MS);
    this.deps.log.error('expiration handler failed; will retry', { error: name, retry_in_ms: delay });
    // The key stays that of the entry the ref was made for: only the timer moves.
    const key = this.due.keyOfRef(ref);
    return { ...ref, key, at: this.deps.clock.now() + delay, failures };
  }

  /**
   * Expirations handled since the fire queue was last idle. One line per burst, where Vault writes one
   * per lease: 10,000 tokens due in the same second make one line, with how long revoking them took.
   */
  private burst = { revoked: 0, retrying: 0, startedAt: 0 };

  private countExpiry(outcome: 'revoked' | 'retrying'): void {
    if (this.burst.revoked + this.burst.retrying === 0) this.burst.startedAt = performance.now();
    this.burst[outcome]++;
  }

  private endBurst(): void {
    const { revoked, retrying, startedAt } = this.burst;
    if (revoked + retrying === 0) return;
    this.burst = { revoked: 0, retrying: 0, startedAt: 0 };
    const seconds = Number(((performance.now() - startedAt) / 1000).toFixed(3));
    this.deps.log.info('revoked expired tokens and leases', { revoked, retrying, seconds });
  }

  start(): void {
    this.stopped = false;
    const loadFailed = (error: unknown) => {
      this.deps.log.error('loading lease expirations failed', { error: String(error) });
    };
    this.ready = this.loadDue().catch(loadFailed);
    const loop = () => {
      // A load in flight when the manager stopped must not arm the next one: it would run sealed.
      if (this.stopped) return;
      this.stopLoader = this.deps.clock.setTimer(HORIZON_MS / 2, () => {
        if (this.stopped) return;
        // A failed load (a storage fault) is tried again at the next tick; uncaught, its rejection
        // went through `finally` unhandled.
        void this.loadDue().catch(loadFailed).finally(loop);
      });
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    this.stopLoader?.();
    this.timers.clear();
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Loads due items up to now + horizon, bucket by bucket, without holding all leases in memory. Storage
   * reads can resolve without ever returning to the event loop (sqlite is synchronous), so the loader
   * yields every few milliseconds: requests are served while 100,000 entries are indexed after unseal.
   * Only key names are read here (they carry the time); an entry's value is read when it fires.
   */
  private async loadDue(): Promise<void> {
    const until = this.deps.clock.now() + HORIZON_MS;
    let slice = performance.now();
    const yieldNow = async () => {
      if (performance.now() - slice < LOAD_SLICE_MS) return;
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    };
    for (const bucket of await this.due.bucketsUntil(until)) {
      const refs = await this.due.refsIn(bucket, yieldNow);
      if (this.stopped) return; // sealed while loading (see arm)
      for (const ref of refs) this.timers.load(ref);
    }
    this.loadedUntil = until;
  }

  /**
   * Writes `item`'s due entry and removes `previous`'s (with `ops`) in one transaction, then arms it.
   * Removing the old entry and adding the new one as two writes let a storage fault between them leave
   * a token or a lease with no due entry at all: nothing would ever expire it.
   */
  private async schedule(item: DueItem, previous?: DueItem, ops: TxOp[] = []): Promise<void> {
    const idHash = hashId(item.kind, item.id);
    if (previous) ops.push(...this.dueDeletes(previous, hashId(previous.kind, previous.id), item));
    ops.push(this.duePut(item, idHash));
    await this.deps.storage.transaction(ops);
    this.arm(item, idHash);
  }

  /**
   * A timer for an item already in the due index, if it falls within what has been loaded. `idHash` is
   * the one its entry was written under (hashed once per item, not again here).
   */
  private arm(item: DueItem, idHash: string): void {
    // A stopped manager (sealed; the next unseal builds a new one) arms nothing: a timer armed by a
    // write that finished after the seal would fire against the next unseal's storage with this one's
    // stopped mounts, take the lease's mount for gone and forget the lease unrevoked.
    if (this.stopped) return;
    if (item.at <= this.loadedUntil || item.at <= this.deps.clock.now() + HORIZON_MS)
      this.timers.schedule(refOf(item, idHash));
  }

  /** The due-index entry of `item` as an op of this manager's view, to commit with the lease itself. */
  private duePut(item: DueItem, idHash: string): TxOp {
    return { op: 'put', key: `due/${this.due.key(item, idHash)}`, value: jsonBytes(item) };
  }

  /**
   * Deletes of `item`'s due entry under each name it may have (DueIndex.namesOf), but for the key of
   * `kept` when that is written in the same transaction (a renewal within the same second).
   */
  private dueDeletes(item: DueItem, idHash: string, kept?: DueItem): TxOp[] {
    const keep = kept && this.due.key(kept, idHash);
    return this.due
      .namesOf(item, idHash)
      .filter((key) => key !== keep)
      .map((key) => ({ op: 'delete', key: `due/${key}` }));
  }

  /** Registers the lease of a secret returned for `path`; the id has Vault's `<path>/<24 base62>` shape. */
  async register(
    path: string,
    secret: SecretLease,
    tokenAccessor: string | undefined,
    maxTtlSeconds: number,
  ) {
    const now = this.deps.clock.now();
    const ttl = Math.min(secret.ttlSeconds, secret.maxTtlSeconds ?? maxTtlSeconds, maxTtlSeconds);
    const lease: LeaseEntry = {
      // Vault's <path>/<24 base62>, time-ordered (timeOrderedBase62): a mount's new leases land at the
      // end of its range of the storage index instead of each on a random page.
      leaseId: `${path.replace(/\/$/, '')}/${timeOrderedBase62(now, 24)}`,
      path,
      secretType: secret.type,
      internalData: secret.internalData ?? {},
      issueTime: now,
      expireTime: now + ttl * 1000,
      maxExpireTime: now + Math.min(secret.maxTtlSeconds ?? maxTtlSeconds, maxTtlSeconds) * 1000,
      renewable: secret.renewable,
      tokenAccessor,
      tokenIndexForm: tokenAccessor ? 'time' : undefined,
    };
    const due: DueItem = { kind: 'lease', id: lease.leaseId, at: lease.expireTime };
    const idHash = hashId('lease', lease.leaseId);
    // The lease, its token's index entry and its due entry commit together: one fsync, and a crash
    // never leaves a lease that nothing will expire.
    const ops: TxOp[] = [{ op: 'put', key: `id/${lease.leaseId}`, value: jsonBytes(lease) }];
    if (tokenAccessor)
      ops.push({
        op: 'put',
        key: tokenIndexKey(lease, tokenAccessor),
        value: jsonBytes({ leaseId: lease.leaseId }),
      });
    ops.push(this.duePut(due, idHash));
    if (tokenAccessor) {
      this.owned.started++;
      this.owned.inFlight++;
    }
    try {
      await this.deps.storage.transaction(ops);
    } finally {
      if (tokenAccessor) this.owned.inFlight--;
    }
    this.arm(due, idHash);
    return { lease, ttlSeconds: ttl };
  }

  /**
   * A new token's due entry, for the token store to commit with the token itself; `arm` runs once
   * that commit is durable.
   */
  tokenDueEntry(accessor: string, expireTime: number): DueEntry {
    const item: DueItem = { kind: 'token', id: accessor, at: expireTime };
    const idHash = hashId('token', accessor);
    return {
      view: this.deps.storage,
      ops: [this.duePut(item, idHash)],
      arm: () => this.arm(item, idHash),
    };
  }

  /** Makes a token with a TTL expire (and its leases with it) even if nobody looks it up again. */
  async scheduleToken(accessor: string, expireTime: number): Promise<void> {
    await this.schedule({ kind: 'token', id: accessor, at: expireTime });
  }

  lookup(leaseId: string): MaybePromise<LeaseEntry | undefined> {
    return this.deps.storage.getJson<LeaseEntry>(`id/${leaseId}`);
  }

  /**
   * Under the lease's lock: a renewal that straddled a revocation attempt wrote back the lease from
   * before it, losing the retry count and the retry's due entry.
   */
  renew(leaseId: string, incrementSeconds: number | undefined) {
    return this.revoking.run(leaseId, () => this.renewLocked(leaseId, incrementSeconds));
  }

  private async renewLocked(leaseId: string, incrementSeconds: number | undefined) {
    const lease = await this.lookup(leaseId);
    const now = this.deps.clock.now();
    if (!lease || lease.irrevocable) throw invalid('lease not found');
    // Its revocation failed and is being retried (its token was revoked, or it was revoked with
    // sync=false): renewing it would cancel that.
    if (lease.revokeAttempts) throw invalid('lease is being revoked');
    if (!lease.renewable) throw invalid('lease is not renewable');
    if (lease.expireTime <= now) throw invalid('lease expired');
    const owner = this.ownerOf(lease);
    const type =
      owner?.engine.secrets?.find((s) => s.type === lease.secretType) ?? owner?.engine.secrets?.[0];
    if (!owner || !type?.renew) throw invalid('lease is not renewable');
    const response: LogicalResponse | undefined = await type.renew(owner.ctx, {
      leaseId,
      internalData: lease.internalData,
      issueTime: lease.issueTime,
      expireTime: lease.expireTime,
      increment: incrementSeconds,
    });
    const requested = incrementSeconds || response?.secret?.ttlSeconds || owner.ctx.system.defaultLeaseTtl();
    const remainingMax = Math.floor((lease.maxExpireTime - now) / 1000);
    const ttl = Math.min(requested, remainingMax);
    const warnings =
      ttl < requested
        ? [
            `TTL of "${requested}s" exceeded the effective max_ttl of "${remainingMax}s"; TTL value is capped accordingly`,
          ]
        : [];
    const dueAt = dueTimeOf(lease);
    lease.expireTime = now + ttl * 1000;
    lease.lastRenewal = now;
    if (response?.secret?.internalData) lease.internalData = response.secret.internalData;
    const idHash = hashId('lease', leaseId);
    // A renewal that extends the lease leaves its due entry (and timer) where they are, before the new
    // expiry: when the entry fires, `fire` finds the lease renewed and moves it, as a token's renewal
    // does. So a renewal writes one key, as Vault's does; writing the due entry's removal and its
    // replacement too took a fifth of a renewal's CPU (docs/performance.md). Only a renewal that
    // shortens the lease moves its entry now: an entry after the expiry would revoke it late.
    let moved: DueItem | undefined;
    const dueOps: TxOp[] = [];
    if (lease.expireTime >= dueAt) {
      lease.dueAt = dueAt === lease.expireTime ? undefined : dueAt;
    } else {
      lease.dueAt = undefined;
      const previous: DueItem = { kind: 'lease', id: leaseId, at: dueAt };
      moved = { kind: 'lease', id: leaseId, at: lease.expireTime };
      dueOps.push(...this.dueDeletes(previous, idHash, moved), this.duePut(moved, idHash));
    }
    await this.deps.storage.transaction([
      { op: 'put', key: `id/${leaseId}`, value: jsonBytes(lease) },
      ...dueOps,
    ]);
    // Only once the renewal is durable: a failed one keeps the timer it had.
    if (moved) {
      this.timers.cancel(idHash);
      this.arm(moved, idHash);
    }
    return { lease, ttlSeconds: ttl, data: response?.data, warnings };
  }

  private ownerOf(lease: LeaseEntry): LeaseOwner | undefined {
    return this.deps.resolve(lease.path);
  }

  /** Revokes at the source, then forgets the lease. `force` forgets it even when the source refuses. */
  async revoke(leaseId: string, options: { force?: boolean } = {}): Promise<void> {
    await this.revoking.run(leaseId, () => this.revokeLocked(leaseId, options));
  }

  /** `revoke` for the caller holding the lease's lock. */
  private async revokeLocked(leaseId: string, options: { force?: boolean } = {}): Promise<void> {
    const lease = await this.lookup(leaseId);
    if (!lease) return;
    try {
      await this.revokeAtSource(lease);
    } catch (error) {
      if (!options.force) throw error;
      this.deps.log.warn('forced lease revocation ignored a source error', { lease_id: leaseId });
    }
    await this.forget(lease);
  }

  /**
   * Revokes, or when the source refuses, schedules the retry: one step under the lease's lock, so
   * two callers at once (its own timer and its token's sweep) cannot both count a failed attempt and
   * start two retry chains.
   */
  private revokeOrRetry(leaseId: string, previous?: DueItem): Promise<'revoked' | 'retrying' | 'stopped'> {
    return this.revoking.run(leaseId, async () => {
      try {
        await this.revokeLocked(leaseId);
        return 'revoked';
      } catch (error) {
        if (this.stopped) return 'stopped';
        await this.retryLater(leaseId, error, previous);
        return 'retrying';
      }
    });
  }

  /**
   * `sync=false`: revoke now if the source answers, otherwise keep retrying with backoff exactly
   * as an expired lease would (Vault queues the revocation rather than dropping it).
   */
  async revokeQueued(leaseId: string): Promise<void> {
    await this.revokeOrRetry(leaseId);
  }

  private async revokeAtSource(lease: LeaseEntry): Promise<void> {
    const owner = this.ownerOf(lease);
    if (!owner) return; // the mount is gone, and its credentials with it
    const type = owner.engine.secrets?.find((s) => s.type === lease.secretType) ?? owner.engine.secrets?.[0];
    if (!type) return;
    let slots = this.sourceSlots.get(owner.ctx);
    if (!slots) {
      slots = new Slots(MAX_PARALLEL_REVOCATIONS);
      this.sourceSlots.set(owner.ctx, slots);
    }
    await slots.run(() =>
      type.revoke(owner.ctx, {
        leaseId: lease.leaseId,
        internalData: lease.internalData,
        issueTime: lease.issueTime,
        expireTime: lease.expireTime,
      }),
    );
  }

  private async forget(lease: LeaseEntry): Promise<void> {
    const idHash = hashId('lease', lease.leaseId);
    this.timers.cancel(idHash);
    const ops: TxOp[] = [{ op: 'delete', key: `id/${lease.leaseId}` }];
    for (const at of [lease.expireTime, lease.retryAt, lease.dueAt])
      if (at !== undefined) ops.push(...this.dueDeletes({ kind: 'lease', id: lease.leaseId, at }, idHash));
    if (lease.tokenAccessor) ops.push({ op: 'delete', key: tokenIndexKey(lease, lease.tokenAccessor) });
    await this.deps.storage.transaction(ops);
  }

  /** Every lease id under a prefix of the lease namespace (a mount, a role, …). */
  async leaseIdsUnder(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (folder: string) => {
      for (const child of await this.deps.storage.list(`id/${folder}`)) {
        if (child.endsWith('/')) await walk(folder + child);
        else out.push(folder + child);
      }
    };
    const folder = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (prefix !== '' && !prefix.endsWith('/') && (await this.lookup(prefix))) out.push(prefix);
    await walk(folder);
    return out;
  }

  async revokePrefix(prefix: string, options: { force?: boolean } = {}): Promise<void> {
    const ids = await this.leaseIdsUnder(prefix);
    await runBounded(ids, MAX_PARALLEL_EXPIRATIONS, (id) => this.revoke(id, options));
  }

  async list(prefix: string): Promise<string[]> {
    return this.deps.storage.list(`id/${prefix}`);
  }

  /**
   * Registrations of leases owned by a token: how many have started, and how many have not finished.
   * They tell whether a token's second lease sweep can be skipped (`revokeLateLeases`).
   */
  private readonly owned = { started: 0, inFlight: 0 };

  /**
   * Taken before a revoked token's first lease sweep: defined when no token-owned lease was being
   * registered at that moment.
   */
  registrationMark(): number | undefined {
    return this.owned.inFlight === 0 ? this.owned.started : undefined;
  }

  /**
   * The second sweep, once the token is deleted, for leases registered while it was being revoked
   * (their request saw the token still there). Skipped when none can have been: nothing was being
   * registered at `mark` and nothing has started since. Most revocations, an expiring token's above
   * all, then cost no second index probe.
   */
  async revokeLateLeases(accessor: string, mark: number | undefined): Promise<void> {
    if (mark !== undefined && mark === this.owned.started) return;
    await this.revokeByToken(accessor);
  }

  /** Revokes every lease created by a token (called when the token is revoked). */
  async revokeByToken(accessor: string): Promise<void> {
    const folder = `token/${sha256Hex(accessor)}/`;
    if (await this.deps.storage.isEmpty(folder)) return; // most tokens hold no lease
    const entries = await this.deps.storage.list(folder);
    await runBounded(entries, MAX_PARALLEL_EXPIRATIONS, async (name) => {
      const ref = await this.deps.storage.getJson<{ leaseId: string }>(folder + name);
      if (ref) await this.revokeOrRetry(ref.leaseId);
    });
  }

  async irrevocable(): Promise<LeaseEntry[]> {
    const out: LeaseEntry[] = [];
    for (const id of await this.leaseIdsUnder('')) {
      const lease = await this.lookup(id);
      if (lease?.irrevocable) out.push(lease);
    }
    return out;
  }

  /** Drops index entries that point at leases that no longer exist. */
  async tidy(): Promise<number> {
    let removed = 0;
    for (const tokenFolder of await this.deps.storage.list('token/')) {
      for (const name of await this.deps.storage.list(`token/${tokenFolder}`)) {
        const ref = await this.deps.storage.getJson<{ leaseId: string }>(`token/${tokenFolder}${name}`);
        if (!ref || !(await this.lookup(ref.leaseId))) {
          await this.deps.storage.delete(`token/${tokenFolder}${name}`);
          removed++;
        }
      }
    }
    return removed;
  }

  private async fire(ref: DueRef): Promise<void> {
    if (this.stopped) return; // see arm
    // Loaded at unseal by name only: the value says what expires.
    const item = ref.item ?? (await this.due.read(ref));
    if (!item) return;
    if (item.kind === 'token') return this.expireToken(item, ref.idHash);
    const lease = await this.lookup(item.id);
    if (!lease) return void (await this.due.remove(item));
    if (lease.expireTime > this.deps.clock.now() && !lease.revokeAttempts && (await this.moveRenewed(item)))
      return;
    const outcome = await this.revokeOrRetry(lease.leaseId, item);
    if (outcome !== 'stopped') this.countExpiry(outcome);
  }

  /**
   * A lease's due entry fired before the lease ends: it was renewed after the entry was written. The
   * lease's own entry (`dueTimeOf`) moves to its expiry, under the lease's lock, so a renewal or a
   * revocation at the same moment is not undone; another entry is stale (one an earlier version's
   * renewal left behind) and goes. False when the lease turns out to have expired after all.
   */
  private moveRenewed(item: DueItem): Promise<boolean> {
    return this.revoking.run(item.id, async () => {
      const lease = await this.lookup(item.id);
      const idHash = hashId('lease', item.id);
      const isOwn = (l: LeaseEntry) =>
        this.due.key({ kind: 'lease', id: item.id, at: dueTimeOf(l) }, idHash) === this.due.key(item, idHash);
      if (!lease || !isOwn(lease)) {
        await this.due.remove(item);
        return true;
      }
      if (lease.expireTime <= this.deps.clock.now() || lease.revokeAttempts) return false;
      lease.dueAt = undefined;
      const current: DueItem = { kind: 'lease', id: item.id, at: lease.expireTime };
      await this.schedule(current, item, [{ op: 'put', key: `id/${item.id}`, value: jsonBytes(lease) }]);
      return true;
    });
  }

  /** The due entry goes in the token's own deletion: a crash before it leaves both to fire again. */
  private async expireToken(item: DueItem, idHash: string): Promise<void> {
    const removal = { view: this.deps.storage, ops: this.dueDeletes(item, idHash) };
    let outcome: 'revoked' | 'none' | number;
    try {
      outcome = await this.deps.expireToken(item.id, this.deps.clock.now(), removal);
    } catch {
      if (this.stopped) return;
      this.countExpiry('retrying');
      this.deps.log.warn('token revocation failed; will retry', { accessor: item.id });
      return this.schedule({ kind: 'token', id: item.id, at: this.deps.clock.now() + 30_000 }, item);
    }
    if (outcome === 'revoked') return this.countExpiry('revoked');
    // Renewed meanwhile: its entry moves to the new expiry.
    if (typeof outcome === 'number') return this.schedule({ kind: 'token', id: item.id, at: outcome }, item);
    await this.due.remove(item);
  }

  /** Under the lease's lock (revokeOrRetry). `previous`: the due entry that fired, if one did. */
  private async retryLater(leaseId: string, error: unknown, previous?: DueItem): Promise<void> {
    const lease = await this.lookup(leaseId);
    if (!lease) return;
    // The lease's one due entry moves: the one that fired, and the one the lease says it has (its
    // expiry, or an earlier retry) if that is another, so no second retry chain is left behind.
    const current: DueItem = { kind: 'lease', id: leaseId, at: dueTimeOf(lease) };
    const attempts = (lease.revokeAttempts ?? 0) + 1;
    // Jittered ±50%, as Vault's: leases that failed together (a database outage) do not all come back
    // to the recovering source in the same instant.
    const jitter = 0.5 + (this.deps.random ?? Math.random)();
    const delay =
      attempts > MAX_FAST_RETRIES
        ? IRREVOCABLE_RETRY_MS
        : Math.round(RETRY_BASE_MS * 2 ** (attempts - 1) * jitter);
    lease.revokeAttempts = attempts;
    lease.irrevocable = attempts > MAX_FAST_RETRIES;
    // Only the error's class name: a driver message can carry a connection string.
    lease.lastError = error instanceof Error ? error.name : 'error';
    this.deps.log.warn('lease revocation failed; will retry', {
      lease_id: leaseId,
      attempts,
      retry_in_ms: delay,
    });
    const next: DueItem = { kind: 'lease', id: leaseId, at: this.deps.clock.now() + delay };
    lease.retryAt = next.at;
    lease.dueAt = undefined; // the retry's entry is the lease's one entry now
    // The retry count and the retry's due entry commit together, with the old entries' removal.
    const ops: TxOp[] = [{ op: 'put', key: `id/${leaseId}`, value: jsonBytes(lease) }];
    const idHash = hashId('lease', leaseId);
    const stale = new Set(
      [previous, current].filter((d) => d !== undefined).flatMap((d) => this.due.namesOf(d, idHash)),
    );
    stale.delete(this.due.key(next, idHash));
    for (const key of stale) ops.push({ op: 'delete', key: `due/${key}` });
    await this.schedule(next, undefined, ops);
  }
}

/**
 * A lease's entry in its token's index (`token/<sha256 of the accessor>/<name>`), which revoking the
 * token lists. Named by issue time first (timeOrderedName), a token's new leases share the end of its
 * range of the storage index instead of each taking a random page. Leases written before 2026-12-03
 * (no tokenIndexForm) are indexed by the hash of the lease id alone.
 */
export function tokenIndexKey(lease: LeaseEntry, tokenAccessor: string): string {
  const hash = sha256Hex(lease.leaseId);
  const name = lease.tokenIndexForm === 'time' ? timeOrderedName(lease.issueTime, hash) : hash;
  return `token/${sha256Hex(tokenAccessor)}/${name}`;
}

/** When a lease's one due entry fires: its revocation retry, else where a renewal left it, else its expiry. */
function dueTimeOf(lease: LeaseEntry): number {
  return lease.retryAt ?? lease.dueAt ?? lease.expireTime;
}

/** At most `limit` callers run at once; the others wait their turn, first come first served. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.used < this.limit) this.used++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // A waiter takes the slot over, so `used` only drops when nobody is waiting.
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    }
  }
}

export async function runBounded<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}
