/**
 * The Core owns the seal state. While sealed only the seal endpoints work; unsealing builds the
 * state that exists only while the barrier is open (mounts, tokens, policies) and sealing drops it.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { AuditBroker } from '../audit/broker.js';
import { AuditedHeaders } from '../audit/request-headers.js';
import type { ServerLockoutSettings } from '../auth/user-lockout.js';
import { AutoSeal } from '../barrier/auto-seal.js';
import { Barrier } from '../barrier/barrier.js';
import type { Seal, SealInitParams, SealWrapper } from '../barrier/seal.js';
import { ShamirSeal } from '../barrier/shamir-seal.js';
import { cubbyholeFolder } from '../engines/cubbyhole/index.js';
import { createIdentityEngine, IdentityStore } from '../engines/identity/index.js';
import { type Clock, systemClock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';
import { isPromise, type MaybePromise } from '../framework/maybe-promise.js';
import { StorageView } from '../framework/storage-view.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy/builtin.js';
import type { StorageBackend } from '../storage/backend.js';
import { type HaLeader, isHaBackend } from '../storage/ha.js';
import { AutoUnsealLoop } from './auto-unseal.js';
import type { EngineRegistry } from './engine-registry.js';
import { type CofferError, invalid, sealedError, standbyError } from './errors.js';
import { ExpirationManager } from './expiration/manager.js';
import { Election } from './ha/election.js';
import { identityPoliciesOf } from './identity-acl.js';
import { type Hold, InFlight } from './in-flight.js';
import { KeyRotation } from './key-rotation.js';
import { MountManager } from './mount-manager.js';
import { type MountEntry, routePrefix } from './mounts.js';
import { PolicyStore } from './policy-store.js';
import { RateLimits } from './quotas/rate-limits.js';
import { createSysEngine } from './sys/index.js';
import { createTokenEngine } from './token/engine.js';
import { type TokenEntry, TokenStore } from './token/store.js';
import { ResponseWrapper, type WrappingTokens } from './wrapping.js';

export const VERSION = '1.17.0+coffer.0.1.0';
export const BUILD_DATE = '2026-11-24T00:00:00Z';

/** How long a seal waits for the requests in flight: Vault's `DefaultMaxRequestDuration`. */
const SEAL_GRACE_MS = 90_000;

export interface CoreOptions {
  physical: StorageBackend;
  log: Logger;
  registry: EngineRegistry;
  clock?: Clock;
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  /** The server's user lockout settings; each auth mount's tuning applies over them. */
  userLockout?: ServerLockoutSettings;
  /** Mounts created on a brand-new barrier besides the built-ins (dev mode's `secret/`). */
  initialMounts?: () => MountEntry[];
  /** The remote half of an auto seal (`seal "transit"`); without it the seal is Shamir. */
  sealWrapper?: SealWrapper;
  /** The address clients reach the server at (`api_addr`, else the first listener's). */
  apiAddr?: () => string;
  /** How long a seal waits for the requests in flight before it tears the state down under them. */
  sealGraceMs?: number;
  /** This node in an HA cluster; used only on a backend with the HA lock (PostgreSQL's `ha_enabled`). */
  ha?: HaNodeOptions;
}

export interface HaNodeOptions {
  /** Random per process, as Vault's node UUID. */
  nodeId: string;
  /** `cluster_addr`: reported by `sys/leader` only (there is no cluster port). */
  clusterAddr?: string;
  /** The lock's TTL (Vault's PostgreSQL lock: 15 s). */
  ttlMs: number;
  stepDownSleepMs?: number;
}

/** What `sys/leader` reports. */
export interface LeaderStatus {
  haEnabled: boolean;
  isSelf: boolean;
  /** When this node became active (ms since the epoch); 0 unless it is. */
  activeSince: number;
  leader?: HaLeader;
}

export interface UnsealedState {
  mounts: MountManager;
  tokens: TokenStore;
  policies: PolicyStore;
  expiration: ExpirationManager;
  audit: AuditBroker;
  auditedHeaders: AuditedHeaders;
  wrapper: ResponseWrapper;
  wrappingTokens: WrappingTokens;
  cluster: { name: string; id: string };
  keyRotation: KeyRotation;
  rateLimits: RateLimits;
  /** Entities, aliases and groups; the `identity/` mount serves them. */
  identity: IdentityStore;
}

export class Core {
  readonly barrier: Barrier;
  readonly seal: Seal;
  readonly clock: Clock;
  readonly log: Logger;
  private state?: UnsealedState;
  private transition: Promise<unknown> = Promise.resolve();
  private readonly requests = new InFlight();
  private readonly autoUnseal?: AutoUnsealLoop;
  /** HA only: the election, from the first unseal on. */
  private election?: Election;

  constructor(readonly options: CoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.barrier = new Barrier(options.physical);
    const wrapper = options.sealWrapper;
    this.seal = wrapper
      ? new AutoSeal(options.physical, this.barrier, wrapper)
      : new ShamirSeal(options.physical, this.barrier);
    if (wrapper)
      this.autoUnseal = new AutoUnsealLoop({
        attempt: () => this.unsealWithStoredKeys(),
        clock: this.clock,
        log: this.log,
        fields: { seal: wrapper.describe() },
      });
  }

  get storageType(): string {
    return this.options.physical.type;
  }

  /** How long a seal waits for the requests in flight. */
  get sealGraceMs(): number {
    return this.options.sealGraceMs ?? SEAL_GRACE_MS;
  }

  isSealed(): boolean {
    return this.state === undefined;
  }

  /** HA: unsealed, but another node is active (or none yet); the HTTP layer forwards to it. */
  isStandby(): boolean {
    return this.state === undefined && this.election !== undefined && !this.barrier.isSealed();
  }

  get haEnabled(): boolean {
    return isHaBackend(this.options.physical);
  }

  /** The 503 for a request the core cannot serve: sealed, or a standby's. */
  unavailable(): CofferError {
    // A node stepping down (its requests draining) is already a standby to new requests.
    const standby = this.election?.running && this.election.role === 'standby' && !this.barrier.isSealed();
    return standby ? standbyError() : sealedError();
  }

  /** The unsealed state; callers check `isSealed()` first (core answers 503 before reaching here). */
  get unsealed(): UnsealedState {
    // Vault's 503, not a 500, for whatever still runs after a seal tore the state down.
    if (!this.state) throw this.unavailable();
    return this.state;
  }

  /** `sys/leader`: Vault answers 503 on a sealed HA node. */
  async leaderStatus(): Promise<LeaderStatus> {
    const off = { haEnabled: false, isSelf: false, activeSince: 0 };
    if (!this.haEnabled) return off;
    const election = this.election;
    if (!election || (this.isSealed() && !this.isStandby())) throw sealedError();
    if (election.role === 'active' && this.state)
      return { haEnabled: true, isSelf: true, activeSince: election.activeSince, leader: this.self() };
    return { ...off, haEnabled: true, leader: await election.leader() };
  }

  private self(): HaLeader {
    return {
      nodeId: this.options.ha?.nodeId ?? '',
      apiAddr: this.options.apiAddr?.() ?? '',
      clusterAddr: this.options.ha?.clusterAddr ?? '',
    };
  }

  /**
   * `sys/step-down`: the active node gives the lock up once the requests in flight (this one too)
   * have ended, and leaves it to the others for a while. A no-op without HA or on a standby, as Vault.
   */
  stepDown(): void {
    if (this.election?.role === 'active') void this.election.stepDown();
  }

  /**
   * Serves one request while holding the state open for it: a seal waits until it ends. From the
   * moment a seal begins new requests get Vault's 503, and so does a request the seal stopped waiting
   * for, whatever it made of the state torn down under it (never the 500 of a vanished state).
   */
  serving<T>(request: object, serve: () => MaybePromise<T>): MaybePromise<T> {
    const hold = this.isSealed() ? undefined : this.requests.enter(request);
    if (!hold) return Promise.reject(this.unavailable());
    let result: MaybePromise<T>;
    try {
      result = serve();
    } catch (error) {
      result = Promise.reject(error);
    }
    if (isPromise(result)) return this.servingUntil(hold, result);
    // Answered at once (see MaybePromise): nothing can have sealed in between.
    this.requests.leave(hold);
    return result;
  }

  private async servingUntil<T>(hold: Hold, pending: Promise<T>): Promise<T> {
    try {
      const result = await pending;
      if (!hold.abandoned) return result;
    } catch (error) {
      if (!hold.abandoned) throw error;
    } finally {
      this.requests.leave(hold);
    }
    throw this.unavailable();
  }

  /** The rate-limit quotas while unsealed; the HTTP layer asks this before anything else. */
  get rateLimits(): RateLimits | undefined {
    return this.state?.rateLimits;
  }

  get clusterInfo(): { name: string; id: string } | undefined {
    return this.state?.cluster;
  }

  /**
   * `sys/init`: makes the keys and writes the root token. A Shamir server stays sealed; an auto seal
   * then unseals at once with the stored keys, through the remote seal, as Vault does.
   */
  async initialize(params: Partial<SealInitParams> & { rootTokenId?: string }) {
    return this.serialized(async () => {
      const { keys, recoveryKeys } = await this.seal.initialize({
        secretShares: params.secretShares ?? 0,
        secretThreshold: params.secretThreshold ?? 0,
        recoveryShares: params.recoveryShares ?? 0,
        recoveryThreshold: params.recoveryThreshold ?? 0,
      });
      let rootToken: string;
      try {
        const state = await this.buildState(true);
        ({ token: rootToken } = await state.tokens.createRoot(params.rootTokenId));
        await state.mounts.stop();
      } finally {
        this.barrier.seal();
      }
      if (this.seal.unsealWithStoredKeys) {
        await this.seal.unsealWithStoredKeys();
        await this.afterUnseal();
      }
      return { keys, recoveryKeys, rootToken };
    });
  }

  /** Adds one unseal (or, under an auto seal, recovery) share; true once the state is built. */
  async submitUnsealKey(key: string): Promise<boolean> {
    return this.serialized(async () => {
      if (this.state || this.isStandby()) return true;
      const unsealed = await this.seal.submitShare(key);
      if (!unsealed) return false;
      await this.afterUnseal();
      return true;
    });
  }

  /**
   * Auto seals: one attempt to unseal with the stored root key, which the remote seal decrypts.
   * True once unsealed; false while the storage is not initialised (another server may do it).
   */
  async unsealWithStoredKeys(): Promise<boolean> {
    return this.serialized(async () => {
      if (this.state || this.isStandby()) return true;
      if (!this.seal.unsealWithStoredKeys) return true;
      if (!(await this.seal.isInitialized())) {
        this.log.debug('stored unseal keys are supported, but none were found');
        return false;
      }
      await this.seal.unsealWithStoredKeys();
      await this.afterUnseal();
      this.log.info('unsealed with stored keys');
      return true;
    });
  }

  /**
   * Vault's start-up check (`adjustForSealMigration`): storage initialised under another kind of seal
   * than the configured one stops the server with the reason. Coffer has no seal migration, so
   * Shamir storage under a `seal "transit"` block is refused too, where Vault would migrate; without
   * this the server served, sealed for good, with every seal-status a 400 and an endless retry loop.
   */
  async checkSealType(): Promise<void> {
    const raw = await this.options.physical.get('core/seal-config');
    if (!raw) return;
    let stored: unknown;
    try {
      stored = (JSON.parse(Buffer.from(raw).toString('utf8')) as { type?: unknown } | null)?.type;
    } catch {
      return; // a corrupt entry: the seal names it when it reads it
    }
    if (typeof stored !== 'string' || stored === this.seal.type) return;
    if (this.seal.type === 'shamir')
      throw invalid(`cannot seal migrate from "${stored}" to Shamir, no disabled seal in configuration`);
    throw invalid(
      `cannot seal migrate from "${stored}" to "${this.seal.type}": the storage was initialised with a ${stored} seal, and seal migration is not supported`,
    );
  }

  /** Auto seals: unseal in the background, retrying until the remote seal answers (server start). */
  startAutoUnseal(): void {
    this.autoUnseal?.start();
  }

  /** The barrier is open: without HA the node is active at once; with it, it first wins the lock. */
  private async afterUnseal(): Promise<void> {
    const physical = this.options.physical;
    if (!isHaBackend(physical)) return this.openState();
    const ha = this.options.ha ?? { nodeId: randomUUID(), ttlMs: 15_000 };
    this.election ??= new Election({
      lock: physical.haLock({
        nodeId: ha.nodeId,
        apiAddr: this.options.apiAddr?.() ?? '',
        clusterAddr: ha.clusterAddr,
        ttlMs: ha.ttlMs,
        // A fenced write means another node holds the lock: step down at once.
        onFenced: () => this.election?.lost(),
      }),
      clock: this.clock,
      log: this.log.child('ha'),
      ttlMs: ha.ttlMs,
      stepDownSleepMs: ha.stepDownSleepMs,
      becomeActive: () => this.takeOver(),
      becomeStandby: () => this.dropState(),
    });
    this.election.start();
    this.log.info('vault is unsealed');
  }

  /**
   * HA: this node won the lock. Everything is read again from storage, the keyring first: the node
   * that was active may have rotated it, written policies and mounted engines (Vault's
   * `performKeyUpgrades`, then `postUnseal`).
   */
  private async takeOver(): Promise<void> {
    await this.barrier.reload();
    this.state = await this.buildState(false);
    this.requests.open();
  }

  /** The barrier is open: build what lives only while unsealed, or close it again. */
  private async openState(): Promise<void> {
    try {
      this.state = await this.buildState(false);
    } catch (error) {
      this.barrier.seal();
      throw error;
    }
    this.requests.open();
    this.log.info('vault is unsealed');
  }

  /**
   * Seals once the requests in flight have ended, or the grace period has passed. `from`: the request
   * that asked for the seal (`sys/seal`, as passed to `serving`), which would otherwise wait for itself.
   */
  async sealVault(from?: object): Promise<void> {
    // Sealed on purpose: stays sealed until restarted or unsealed with keys (Vault).
    this.autoUnseal?.stop();
    if (from) this.requests.leaveRequest(from);
    return this.serialized(async () => {
      // HA: an active node tears its state down and gives the lock up, so a standby takes over at once.
      await this.election?.stop();
      await this.dropState();
      this.barrier.seal();
      this.seal.resetProgress();
      this.log.info('vault is sealed');
    });
  }

  /** Waits for the requests in flight (at most the grace period), then tears the unsealed state down. */
  private async dropState(): Promise<void> {
    await this.requests.close(this.sealGraceMs, this.clock);
    const state = this.state;
    this.state = undefined;
    if (state) await stopUnsealed(state);
  }

  private async buildState(fresh: boolean): Promise<UnsealedState> {
    const barrier = this.barrier;
    const policies = new PolicyStore(new StorageView(barrier, 'sys/policy/'));
    await policies.ensureDefaults();
    const ttls = () => ({
      defaultLeaseTtl: this.options.defaultLeaseTtl,
      maxLeaseTtl: this.options.maxLeaseTtl,
    });
    let mounts: MountManager | undefined;
    let expiration: ExpirationManager | undefined;
    let wrapper: ResponseWrapper | undefined;
    // Taken before each revoked token's first lease sweep, for its second (afterRevoke).
    const sweepMarks = new WeakMap<TokenEntry, number>();
    const tokens = new TokenStore({
      storage: new StorageView(barrier, 'sys/token/'),
      clock: this.clock,
      log: this.log.child('token'),
      policyExists: (name) => policies.exists(name),
      // Bound late: the expiration manager is built below, before any token is created.
      dueEntry: (accessor, at) => expiration!.tokenDueEntry(accessor, at),
      defaults: () => {
        const entry = mounts?.table.find('auth', 'token/');
        return entry
          ? { defaultTtl: mounts!.defaultTtl(entry), maxTtl: mounts!.maxTtl(entry) }
          : { defaultTtl: ttls().defaultLeaseTtl, maxTtl: ttls().maxLeaseTtl };
      },
      onRevoke: async (entry) => {
        if (!entry.accessor) return;
        const mark = expiration?.registrationMark();
        if (mark !== undefined) sweepMarks.set(entry, mark);
        await expiration?.revokeByToken(entry.accessor);
        const cubbyhole = mounts?.table.all('mounts').find((m) => m.type === 'cubbyhole');
        if (cubbyhole)
          await mounts!.runtime(cubbyhole)?.ctx.storage.sub(cubbyholeFolder(entry.accessor)).deleteAll();
        // A wrapping token's response goes with it, unwrapped or not (it expired, or was revoked).
        if (entry.policies.includes(RESPONSE_WRAPPING_POLICY_NAME)) await wrapper?.discard(entry.accessor);
      },
      // A login token's renewal asks the auth method that minted it (its role may be gone).
      loginRenewal: async (entry) => {
        const runtime = mounts?.route(entry.path);
        if (!runtime?.engine.renewLogin || !entry.internalData) return undefined;
        return runtime.engine.renewLogin(runtime.ctx, {
          internalData: entry.internalData,
          metadata: entry.meta,
          policies: entry.policies,
        });
      },
      // Leases that registered while the token was being revoked (see the check in pipeline.ts).
      afterRevoke: async (entry) => {
        if (entry.accessor) await expiration?.revokeLateLeases(entry.accessor, sweepMarks.get(entry));
      },
    });
    const cluster = await this.loadCluster();
    const rateLimits = new RateLimits({
      storage: new StorageView(barrier, 'sys/quotas/'),
      clock: this.clock,
      log: this.log.child('quotas'),
      mountOf: (path) => {
        const entry = mounts?.table.match(path);
        return entry && routePrefix(entry);
      },
      resolveRole: async (mountPath, data) => {
        const runtime = mounts?.route(mountPath);
        return runtime?.engine.resolveRole?.(runtime.ctx, data);
      },
    });
    const identity = new IdentityStore({
      clock: this.clock,
      authMount: (accessor) => {
        const entry = mounts?.table.byAccessor(accessor);
        return entry?.table === 'auth'
          ? { path: entry.path, type: entry.type, local: entry.local }
          : undefined;
      },
    });
    const builtins = new Map([
      ['token', createTokenEngine(tokens, (entityId) => identityPoliciesOf({ identity }, entityId))],
      ['identity', createIdentityEngine(identity)],
      ['system', createSysEngine(this)],
    ]);
    mounts = new MountManager({
      barrier,
      registry: this.options.registry,
      builtins,
      clock: this.clock,
      log: this.log,
      systemTtls: ttls,
      userLockout: this.options.userLockout,
      apiAddr: this.options.apiAddr,
      revokePrefix: async (prefix) => {
        await expiration!.revokePrefix(prefix);
        // An auth mount's tokens go with it (Vault revokes their leases under the mount's path).
        if (prefix.startsWith('auth/')) await tokens.revokeByPathPrefix(prefix);
      },
      mountMoved: (from, to) => rateLimits.mountMoved(from, to),
    });
    const mountManager = mounts;
    expiration = new ExpirationManager({
      storage: new StorageView(barrier, 'sys/expire/'),
      clock: this.clock,
      log: this.log.child('expiration'),
      resolve: (path) => mountManager.route(path),
      expireToken: (accessor, now, alongside) => tokens.expireAccessor(accessor, now, alongside),
    });
    const audit = new AuditBroker({
      storage: new StorageView(barrier, 'core/audit/'),
      log: this.log.child('audit'),
      clock: this.clock,
    });
    const wrappingTokens = wrappingTokensOf(tokens);
    wrapper = new ResponseWrapper(new StorageView(barrier, 'sys/wrapping/'), wrappingTokens, this.clock);
    const auditedHeaders = new AuditedHeaders(new StorageView(barrier, 'core/audited-headers/'));
    const keyRotation = new KeyRotation(barrier, this.clock, this.log.child('barrier'));
    try {
      await mounts.start(fresh ? (this.options.initialMounts?.() ?? []) : []);
      if (!fresh) {
        await rateLimits.load();
        await audit.load();
        await auditedHeaders.load();
        expiration.start();
        keyRotation.start();
        // Responses whose tokens expired or were revoked before their records went with them.
        void wrapper.sweep().catch((error: unknown) =>
          // The error's name only: storage errors can carry their data.
          this.log.warn('sweeping wrapped responses failed', {
            error: error instanceof Error ? error.name : 'unknown',
          }),
        );
      }
    } catch (error) {
      // A failed unseal, or a failed HA takeover (retried every second), stops what it started. Left
      // running, every retry added engines' pools and timers, and a database mount's rotation timer on
      // a node that is not active would change passwords in the database that it cannot store.
      await stopUnsealed({ mounts, expiration, keyRotation, audit });
      throw error;
    }
    return {
      mounts,
      tokens,
      policies,
      expiration,
      audit,
      auditedHeaders,
      wrapper,
      wrappingTokens,
      cluster,
      keyRotation,
      rateLimits,
      identity,
    };
  }

  private async loadCluster(): Promise<{ name: string; id: string }> {
    const view = new StorageView(this.barrier, 'core/');
    const stored = await view.getJson<{ name: string; id: string }>('cluster');
    if (stored) return stored;
    const cluster = { name: `vault-cluster-${randomBytes(4).toString('hex')}`, id: randomUUID() };
    await view.putJson('cluster', cluster);
    return cluster;
  }

  /** Seal transitions never interleave: a seal during an unseal waits for it. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transition.then(fn, fn);
    this.transition = run.catch(() => undefined);
    return run;
  }

  /** Dev mode: initialise with one share and unseal at once. */
  async initializeDev(rootTokenId?: string): Promise<{ key: Uint8Array; rootToken: string }> {
    if (await this.seal.isInitialized()) throw invalid('Vault is already initialized');
    const { keys, rootToken } = await this.initialize({ secretShares: 1, secretThreshold: 1, rootTokenId });
    await this.submitUnsealKey(Buffer.from(keys[0]).toString('hex'));
    return { key: keys[0], rootToken };
  }
}

/** Wrapping tokens: single use, only the internal `response-wrapping` policy, no parent. */
function wrappingTokensOf(tokens: TokenStore): WrappingTokens {
  return {
    async issue(ttlSeconds, creationPath) {
      const { token, entry } = await tokens.create({
        policies: ['response-wrapping'],
        displayName: 'response-wrapping',
        path: creationPath,
        numUses: 1,
        ttl: ttlSeconds,
        explicitMaxTtl: ttlSeconds,
        renewable: false,
      });
      return { token, accessor: entry.accessor };
    },
    async accessorOf(token) {
      const entry = await tokens.lookup(token);
      return entry?.policies.includes('response-wrapping') ? entry.accessor : undefined;
    },
    revoke: async (accessor) => {
      await tokens.revokeAccessor(accessor);
    },
  };
}

/** Stops what an unsealed state runs (timers, audit devices, engines), as on seal or step-down. */
async function stopUnsealed(
  state: Pick<UnsealedState, 'expiration' | 'keyRotation' | 'audit' | 'mounts'>,
): Promise<void> {
  state.expiration.stop();
  await state.keyRotation.stop();
  await state.audit.closeAll().catch(() => undefined);
  await state.mounts.stop();
}
