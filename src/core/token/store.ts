/**
 * The token store: tokens are random, stored only by a salted hash, indexed by accessor and by
 * parent so revoking a token revokes its whole subtree. Lookups, the hot path of every request,
 * are served from a bounded in-memory cache.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../framework/clock.js';
import type { LoginRenewal } from '../../framework/engine.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import { KeyedRwLock } from '../../framework/keyed-rw-lock.js';
import type { Logger } from '../../framework/log.js';
import type { AuthResult } from '../../framework/logical.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import { memoizeString } from '../../framework/memo.js';
import { OldestKey } from '../../framework/oldest-key.js';
import { type JointOps, StorageView } from '../../framework/storage-view.js';
import { assertPoliciesAssignable, normalizePolicyName, ROOT_POLICY_NAME } from '../../policy/builtin.js';
import { denied, invalid } from '../errors.js';
import type { DueEntry } from '../expiration/manager.js';
import { hashOfName, timeOrderedBase62, timeOrderedName, timePrefixOf } from '../ids.js';
import { authBlock, type TokenEntry } from './entry.js';
import { computeTtl } from './ttl.js';

export type { TokenEntry } from './entry.js';

export interface TokenStoreDeps {
  storage: StorageView;
  clock: Clock;
  log: Logger;
  onRevoke?: (entry: TokenEntry) => Promise<void>;
  /**
   * Runs once the revoked entry is gone from storage: a lease registered while `onRevoke` ran (its
   * request saw the token still there) is caught by a second sweep here.
   */
  afterRevoke?: (entry: TokenEntry) => Promise<void>;
  policyExists?: (name: string) => Promise<boolean>;
  defaults: () => { defaultTtl: number; maxTtl: number };
  /** The expiration manager's due entry for a new token with a TTL, committed with the token. */
  dueEntry?: (accessor: string, expireTime: number) => DueEntry;
  /**
   * For a token minted at login: its auth method's verdict on a renewal (the role as it is now), or
   * undefined when the method has none. Throws to refuse.
   */
  loginRenewal?: (entry: TokenEntry) => Promise<LoginRenewal | undefined>;
}

export interface CreateParams {
  id?: string;
  policies: string[];
  meta?: Record<string, string> | null;
  displayName: string;
  path: string;
  numUses?: number;
  ttl?: number;
  explicitMaxTtl?: number;
  period?: number;
  renewable?: boolean;
  type?: 'service' | 'batch';
  parent?: TokenEntry;
  boundCidrs?: string[];
  role?: string;
  entityId?: string;
  internalData?: Record<string, unknown>;
  /** Mount limits for logins; token-store creates use the token mount's. */
  mountDefaultTtl?: number;
  mountMaxTtl?: number;
}

const CACHE_LIMIT = 10_000;
/** `cachedEntry`'s answer when the cache has nothing to say and storage must be read. */
const NOT_CACHED = Symbol('not cached');
const HASH_MEMO_LIMIT = 10_000;

/**
 * A child's name in its parent's index (`parent/<parent hash>/<name>`). New children are named by
 * their creation time first, then their hash (timeOrderedName): they land at the end of the parent's
 * range of the storage index, on a page the commit's other tokens share. Named by the hash alone,
 * each child went to a random page of the index; on SQLite that one row was a fifth of a
 * token-create's server CPU (163 against 131 µs side by side without it). Entries written before
 * 2026-12-03 (no `parentIndexForm`) keep their hash-only names.
 */
export function childIndexName(
  entry: Pick<TokenEntry, 'idHash' | 'creationTime' | 'parentIndexForm'>,
): string {
  return entry.parentIndexForm === 'time' ? timeOrderedName(entry.creationTime, entry.idHash) : entry.idHash;
}

/**
 * A token's name in the accessor index, given the accessor's salted hash. Accessors made since
 * 2026-12-03 start with their creation time (timeOrderedBase62), and are named by those 7 characters,
 * a dot, then the hash: a new token's entry lands at the end of the index, on a page the commit's
 * other tokens share, instead of a random one (measured without the row at all: a fifth of a token's
 * CPU). Older tokens (no `accessorIndexForm`) are named by the hash alone.
 */
export function accessorIndexName(
  entry: Pick<TokenEntry, 'accessor' | 'accessorIndexForm'>,
  hash: string,
): string {
  const prefix = entry.accessorIndexForm === 'time' ? timePrefixOf(entry.accessor) : undefined;
  return prefix ? `${prefix}.${hash}` : hash;
}

/**
 * Service tokens made since 2026-12-03: `hvs.`, their creation time in 7 characters
 * (timeOrderedBase62), then 24 random ones (143 bits, as before).
 */
const TIME_TOKEN = /^hvs\.[0-9A-Za-z]{31}$/;

/**
 * A token's name in `id/`, given its salted hash. A token of the time shape is named by its 7 time
 * characters, then the hash: a new token's entry lands at the end of the index, on a page the
 * commit's other tokens share, instead of a random one (side by side, a token-create cost 166.1 µs
 * of CPU named by the hash alone, 152.2 so). Any other token (older ones, most caller-chosen IDs) is
 * named by the hash alone. The name is a function of the token, so a lookup needs nothing else. No
 * dot: names of children in the parent index end with it (hashOfName).
 */
export function tokenName(token: string, hash: string): string {
  return TIME_TOKEN.test(token) ? token.slice(4, 11) + hash : hash;
}

export class TokenStore {
  private salt?: Buffer;
  private batchKey?: Buffer;
  private readonly cache = new Map<string, TokenEntry>();
  private readonly cacheOldest = new OldestKey(this.cache);
  /**
   * The salted hash, memoized for recently seen tokens and accessors: an HMAC per request measured as
   * one of the largest costs of a cached read under load. The memo lives as long as this unsealed
   * store, in the same memory as the barrier's decrypted cache.
   */
  private hashers?: { hash: (value: string) => string; name: (token: string) => string };
  /** Bumped after each revocation commits; lookups in flight across one do not cache what they read. */
  private revocations = 0;
  /** One lock per token: use, renew and revoke. */
  private readonly locks = new KeyedMutex();
  /** One lock per token tree: adding children shares it (children never conflict), revoking the parent excludes. */
  private readonly trees = new KeyedRwLock();

  constructor(private readonly deps: TokenStoreDeps) {}

  private async secrets(): Promise<{ salt: Buffer; batchKey: Buffer }> {
    if (!this.salt || !this.batchKey) {
      let stored = await this.deps.storage.getJson<{ salt: string; batch_key: string }>('salt');
      if (!stored) {
        stored = { salt: randomBytes(32).toString('hex'), batch_key: randomBytes(32).toString('base64') };
        await this.deps.storage.putJson('salt', stored);
      }
      this.salt = Buffer.from(stored.salt, 'hex');
      this.batchKey = Buffer.from(stored.batch_key, 'base64');
    }
    return { salt: this.salt, batchKey: this.batchKey };
  }

  private async memos() {
    if (!this.hashers) {
      const { salt } = await this.secrets();
      const hmac = (value: string) => createHmac('sha256', salt).update(value).digest('hex');
      this.hashers ??= {
        hash: memoizeString(hmac, { limit: HASH_MEMO_LIMIT }),
        name: memoizeString((token) => tokenName(token, hmac(token)), { limit: HASH_MEMO_LIMIT }),
      };
    }
    return this.hashers;
  }

  // `hashers ??`: no await once they exist, as these run on every request.
  private async hash(value: string): Promise<string> {
    return (this.hashers ?? (await this.memos())).hash(value);
  }

  /** A token's name in `id/` (tokenName). */
  private async nameOf(token: string): Promise<string> {
    return (this.hashers ?? (await this.memos())).name(token);
  }

  /**
   * The name `token`'s entry is stored under, if it exists: its name, or, for a caller-chosen ID of
   * the time shape made before 2026-12-03, its hash alone.
   */
  private async storedName(token: string): Promise<string | undefined> {
    const name = await this.nameOf(token);
    if (await this.deps.storage.has(`id/${name}`)) return name;
    if (!TIME_TOKEN.test(token)) return undefined;
    const legacy = await this.hash(token);
    return (await this.deps.storage.has(`id/${legacy}`)) ? legacy : undefined;
  }

  /** A token's key in the accessor index (accessorIndexName). */
  private async accessorKey(entry: Pick<TokenEntry, 'accessor' | 'accessorIndexForm'>): Promise<string> {
    return `accessor/${accessorIndexName(entry, await this.hash(entry.accessor))}`;
  }

  /**
   * The accessor index's entry for `accessor`, under either name: time-ordered first, then the hash
   * alone. Only an accessor that starts with 7 base62 characters can have the first: what a client
   * sends goes into no key but as a hash.
   */
  private async accessorRef(accessor: string, read: 'getJson' | 'readJson' = 'getJson') {
    const hash = await this.hash(accessor);
    const forms = timePrefixOf(accessor) ? (['time', undefined] as const) : ([undefined] as const);
    for (const accessorIndexForm of forms) {
      const name = accessorIndexName({ accessor, accessorIndexForm }, hash);
      const ref = await this.deps.storage[read]<{ idHash: string }>(`accessor/${name}`);
      if (ref) return ref;
    }
    return undefined;
  }

  /**
   * The hot path: a valid token's entry, or undefined for unknown, expired or revoked tokens. A cached
   * service token is answered at once, not through a promise (see MaybePromise).
   */
  lookup(token: string): MaybePromise<TokenEntry | undefined> {
    const name = token.startsWith('hvb.') ? undefined : this.hashers?.name(token);
    const cached = name === undefined ? NOT_CACHED : this.cachedEntry(name);
    return cached !== NOT_CACHED ? cached : this.lookupStored(token);
  }

  private async lookupStored(token: string): Promise<TokenEntry | undefined> {
    if (token.startsWith('hvb.')) {
      const entry = await this.openBatch(token);
      return entry && (await this.batchParentAlive(entry)) ? entry : undefined;
    }
    const entry = await this.lookupHash(await this.nameOf(token));
    if (entry || !TIME_TOKEN.test(token)) return entry;
    // A caller-chosen ID of the time shape, made before 2026-12-03: named by its hash alone.
    return this.lookupHash(await this.hash(token));
  }

  /** `lookup` for a token whose salted hash is already known (no second HMAC on the same request). */
  private async lookupHash(idHash: string): Promise<TokenEntry | undefined> {
    const cached = this.cachedEntry(idHash);
    if (cached !== NOT_CACHED) return cached;
    const epoch = this.revocations;
    const entry = await this.deps.storage.getJson<TokenEntry>(`id/${idHash}`);
    if (!entry) return undefined;
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cacheOldest.next()!);
    // A revocation that committed while this read was in flight must not be undone by the cache.
    if (epoch === this.revocations) this.cache.set(idHash, entry);
    return this.unexpired(idHash, entry);
  }

  /** The cached entry of `idHash` if it is still valid, undefined if it has expired, else NOT_CACHED. */
  private cachedEntry(idHash: string): TokenEntry | undefined | typeof NOT_CACHED {
    const entry = this.cache.get(idHash);
    return entry ? this.unexpired(idHash, entry) : NOT_CACHED;
  }

  /** `entry`, or undefined once it has expired: then its revocation is started, not waited for. */
  private unexpired(idHash: string, entry: TokenEntry): TokenEntry | undefined {
    if (entry.expireTime === undefined || entry.expireTime > this.deps.clock.now()) return entry;
    void this.revokeHash(idHash).catch(() => undefined);
    return undefined;
  }

  /** A token's expiry by accessor, expired or not: null = never, undefined = no such token. */
  async expiryOfAccessor(accessor: string): Promise<number | null | undefined> {
    const ref = await this.accessorRef(accessor);
    const entry = ref && (await this.deps.storage.getJson<TokenEntry>(`id/${ref.idHash}`));
    if (!entry) return undefined;
    return entry.expireTime ?? null;
  }

  /**
   * The expiration manager's call when a token's due entry fires: revokes the token (and its subtree)
   * if it has expired by `now`, committing `alongside` with its deletion. 'none' when there is no such
   * token or it never expires; the later expire time of a token renewed since.
   */
  async expireAccessor(
    accessor: string,
    now: number,
    alongside: JointOps,
  ): Promise<'revoked' | 'none' | number> {
    const ref = await this.accessorRef(accessor, 'readJson');
    const entry = ref && (await this.deps.storage.readJson<TokenEntry>(`id/${ref.idHash}`));
    if (!entry || entry.expireTime === undefined) return 'none';
    if (entry.expireTime > now) return entry.expireTime;
    return (await this.revokeHash(entry.idHash, alongside)) ? 'revoked' : 'none';
  }

  async lookupAccessor(accessor: string): Promise<TokenEntry | undefined> {
    const ref = await this.accessorRef(accessor);
    if (!ref) return undefined;
    const entry = await this.deps.storage.getJson<TokenEntry>(`id/${ref.idHash}`);
    if (!entry || (entry.expireTime !== undefined && entry.expireTime <= this.deps.clock.now()))
      return undefined;
    return entry;
  }

  /**
   * Spends one use; exactly `num_uses` calls succeed even when concurrent. On the last use the entry
   * is marked spent (-1) and `last` tells the caller to revoke it once its request has finished.
   */
  use(token: string, known?: TokenEntry): MaybePromise<{ entry: TokenEntry; last: boolean } | undefined> {
    // `known` is this token's entry from earlier in the request: its hash saves recomputing the HMAC,
    // and the entry is looked up again, so a revocation in between is still seen. Most tokens have
    // unlimited uses: a cached one is answered at once (see MaybePromise).
    const cached = known?.idHash ? this.cachedEntry(known.idHash) : NOT_CACHED;
    if (cached === undefined) return undefined;
    if (cached !== NOT_CACHED && cached.numUses === 0) return { entry: cached, last: false };
    return this.useStored(token, known);
  }

  private async useStored(
    token: string,
    known?: TokenEntry,
  ): Promise<{ entry: TokenEntry; last: boolean } | undefined> {
    const entry = known?.idHash ? await this.lookupHash(known.idHash) : await this.lookup(token);
    if (!entry || entry.numUses < 0) return undefined;
    if (entry.numUses === 0 || entry.type === 'batch') return { entry, last: false };
    return this.locks.run(entry.idHash, async () => {
      const current = await this.deps.storage.getJson<TokenEntry>(`id/${entry.idHash}`);
      if (!current || current.numUses < 0) return undefined;
      const next = { ...current, numUses: current.numUses === 1 ? -1 : current.numUses - 1 };
      await this.save(next);
      return { entry: next, last: next.numUses === -1 };
    });
  }

  private async save(entry: TokenEntry): Promise<void> {
    await this.deps.storage.putJson(`id/${entry.idHash}`, entry);
    this.cache.set(entry.idHash, entry);
  }

  async createRoot(id?: string) {
    return this.create({ id, policies: ['root'], displayName: 'root', path: 'auth/token/root' });
  }

  /** Creates a token; the caller has checked permissions. Returns the token, its entry and warnings. */
  async create(params: CreateParams): Promise<{ token: string; entry: TokenEntry; warnings: string[] }> {
    const now = this.deps.clock.now();
    const defaults = this.deps.defaults();
    const isRootPolicy = params.policies.includes('root');
    const { ttl, period, warnings } = computeTtl({
      requestedTtl: params.ttl ?? 0,
      explicitMaxTtl: params.explicitMaxTtl ?? 0,
      period: params.period ?? 0,
      defaultTtl: params.mountDefaultTtl ?? defaults.defaultTtl,
      maxTtl: params.mountMaxTtl ?? defaults.maxTtl,
      neverExpires: isRootPolicy && !params.ttl && !params.explicitMaxTtl && !params.period,
    });
    const type = params.type ?? 'service';
    const entry: TokenEntry = {
      idHash: '',
      // Time-ordered (its first 7 characters), so its index entry lands at the end of the index.
      accessor: type === 'batch' ? '' : timeOrderedBase62(now, 24),
      accessorIndexForm: type === 'batch' ? undefined : 'time',
      parentHash: params.parent?.idHash || undefined,
      policies: params.policies,
      meta: params.meta && Object.keys(params.meta).length ? params.meta : null,
      displayName: params.displayName,
      path: params.path,
      numUses: params.numUses ?? 0,
      creationTime: now,
      creationTtl: ttl,
      explicitMaxTtl: params.explicitMaxTtl ?? 0,
      maxTtl: params.mountMaxTtl ?? defaults.maxTtl,
      // Renewals extend by the period: the capped one computeTtl warned about, not the one asked for.
      period,
      expireTime: ttl > 0 ? now + ttl * 1000 : undefined,
      renewable: type === 'batch' ? false : (params.renewable ?? true) && ttl > 0,
      type,
      orphan: !params.parent,
      boundCidrs: params.boundCidrs?.length ? params.boundCidrs : undefined,
      role: params.role,
      // A batch token is never renewed, and it carries its entry to the client: what an auth method
      // keeps for a renewal (the LDAP login's password) must not travel with it, even encrypted.
      internalData:
        type !== 'batch' && params.internalData && Object.keys(params.internalData).length
          ? params.internalData
          : undefined,
      entityId: params.entityId ?? '',
    };
    for (const name of params.policies) {
      if (name !== 'root' && !((await this.deps.policyExists?.(name)) ?? true))
        warnings.push(`Policy "${name}" does not exist`);
    }
    if (type === 'batch') return { token: await this.sealBatch(entry), entry, warnings };
    const token = await this.newToken(params.id, now);
    entry.idHash = await this.nameOf(token);
    await this.persistNew(entry);
    return { token, entry, warnings };
  }

  /** A new token's secret: generated, or the caller's chosen ID if no token has it. */
  private async newToken(chosenId: string | undefined, now: number): Promise<string> {
    // A generated token is 143 random bits: only a caller-chosen ID can already exist.
    if (chosenId === undefined) return `hvs.${timeOrderedBase62(now, 31)}`;
    if ((await this.storedName(chosenId)) !== undefined)
      throw invalid('cannot create a token with a duplicate ID');
    return chosenId;
  }

  /** Writes a new service token with its accessor and parent index in one transaction. */
  private async persistNew(entry: TokenEntry): Promise<void> {
    if (entry.parentHash) entry.parentIndexForm = 'time';
    const ops = [
      { op: 'put' as const, key: `id/${entry.idHash}`, value: Buffer.from(JSON.stringify(entry)) },
      {
        op: 'put' as const,
        key: await this.accessorKey(entry),
        value: Buffer.from(JSON.stringify({ idHash: entry.idHash })),
      },
    ];
    // A token with a TTL is written with its due entry, so it expires even if never looked up again.
    const due =
      entry.expireTime !== undefined ? this.deps.dueEntry?.(entry.accessor, entry.expireTime) : undefined;
    const commit = async () => {
      await StorageView.transaction([{ view: this.deps.storage, ops }, ...(due ? [due] : [])]);
      due?.arm();
    };
    const parentHash = entry.parentHash;
    if (!parentHash) return commit();
    ops.push({ op: 'put', key: `parent/${parentHash}/${childIndexName(entry)}`, value: Buffer.from('{}') });
    // Under the parent's tree lock: a parent being revoked either sees this child or is already gone.
    await this.trees.shared(parentHash, async () => {
      if (!(await this.deps.storage.has(`id/${parentHash}`))) throw denied();
      await commit();
    });
  }

  /** Mints the token of a successful login (auth methods return an AuthResult). */
  async createForLogin(
    auth: AuthResult,
    options: {
      path: string;
      mountDefaultTtl: number;
      mountMaxTtl: number;
      displayNamePrefix: string;
      /** The entity of the login's alias. */
      entityId?: string;
    },
  ) {
    // Vault's SanitizePolicies: trimmed, lower-cased, deduplicated, so `Root` is `root` here too.
    const policies = [
      ...new Set(
        [...(auth.noDefaultPolicy ? [] : ['default']), ...auth.policies]
          .map(normalizePolicyName)
          .filter(Boolean),
      ),
    ].sort();
    // A login never mints root (a user or role given `root` would otherwise be a way to it, CVE-2025-5999).
    if (policies.includes(ROOT_POLICY_NAME)) throw invalid('auth methods cannot create root tokens');
    assertPoliciesAssignable(policies);
    const { token, entry, warnings } = await this.create({
      policies,
      meta: auth.metadata ?? null,
      internalData: auth.internalData,
      displayName: auth.displayName
        ? `${options.displayNamePrefix}-${auth.displayName}`
        : options.displayNamePrefix,
      path: options.path,
      numUses: auth.numUses,
      ttl: auth.ttlSeconds,
      explicitMaxTtl: auth.explicitMaxTtlSeconds,
      period: auth.periodSeconds,
      renewable: auth.renewable ?? true,
      type: auth.tokenType === 'batch' ? 'batch' : 'service',
      boundCidrs: auth.boundCidrs,
      entityId: options.entityId,
      mountDefaultTtl: options.mountDefaultTtl,
      mountMaxTtl: auth.maxTtlSeconds
        ? Math.min(auth.maxTtlSeconds, options.mountMaxTtl)
        : options.mountMaxTtl,
    });
    return { token, entry, warnings, wire: authBlock(token, entry, this.deps.clock.now()) };
  }

  /** Revokes a token and its whole subtree; each revoked entry goes through `onRevoke`. */
  async revoke(token: string): Promise<void> {
    if (token.startsWith('hvb.')) throw invalid('batch tokens cannot be revoked');
    await this.revokeHash((await this.storedName(token)) ?? (await this.nameOf(token)));
  }

  /** False when there was no such token. */
  async revokeAccessor(accessor: string): Promise<boolean> {
    const ref = await this.accessorRef(accessor);
    return ref ? this.revokeHash(ref.idHash) : false;
  }

  /**
   * Depth-first, children before their parent, so an interrupted revocation (a seal, a crash) leaves
   * the parent in place with its remaining children and is finished by the parent's next expiry run.
   * A token is deleted only under its tree lock and only once it has no children left; `create`
   * takes the same lock to add a child, so no child can be added to a token on its way out.
   */
  private revokeHash(rootHash: string, alongside?: JointOps): Promise<boolean> {
    return this.revokeTree(rootHash, undefined, alongside);
  }

  /** `via`: the parent's index entry the walk came through (`parent/<parent>/<name>`), if any. */
  private async revokeTree(hash: string, via: string | undefined, alongside?: JointOps): Promise<boolean> {
    const children = `parent/${hash}/`;
    for (;;) {
      const deleted = await this.trees.exclusive(hash, async () => {
        // Most tokens have no children: one emptiness probe (an index seek) and the token goes.
        if (!(await this.deps.storage.isEmpty(children))) return undefined;
        return this.revokeOne(hash, via, alongside);
      });
      if (deleted !== undefined) return deleted;
      // Children first, outside this token's lock; then try again.
      for (const listed of await this.deps.storage.list(children)) {
        const name = listed.replace(/\/$/, '');
        await this.revokeTree(hashOfName(name), `${children}${name}`);
      }
    }
  }

  /** Under the token's own lock, the one `use` and `renew` take: neither can write it back once gone. */
  private revokeOne(idHash: string, via?: string, alongside?: JointOps): Promise<boolean> {
    return this.locks.run(idHash, () => this.deleteToken(idHash, via, alongside));
  }

  /** True when the token was there and is now deleted, together with `alongside`. */
  private async deleteToken(idHash: string, via?: string, alongside?: JointOps): Promise<boolean> {
    const entry = await this.deps.storage.getJson<TokenEntry>(`id/${idHash}`);
    this.cache.delete(idHash);
    if (!entry) {
      // A stale index entry (its token already gone) is dropped rather than walked again.
      if (via) await this.deps.storage.delete(via);
      return false;
    }
    // Not caught: if the token's leases cannot be revoked (a storage fault), the token stays, so the
    // revocation fails as a whole and is retried (by the caller, or the expiry's rescheduled entry).
    // Deleting it anyway left its leases running with nothing that would revoke them with it.
    await this.deps.onRevoke?.(entry);
    const ops = [
      { op: 'delete' as const, key: `id/${idHash}` },
      { op: 'delete' as const, key: await this.accessorKey(entry) },
    ];
    const ownIndex = entry.parentHash && `parent/${entry.parentHash}/${childIndexName(entry)}`;
    if (ownIndex) ops.push({ op: 'delete', key: ownIndex });
    // The index entry the walk came through, should it disagree with the entry: the walk must end.
    if (via && via !== ownIndex) ops.push({ op: 'delete', key: via });
    await StorageView.transaction([{ view: this.deps.storage, ops }, ...(alongside ? [alongside] : [])]);
    this.revocations++;
    this.cache.delete(idHash);
    await this.deps.afterRevoke?.(entry).catch(this.ownedRevocationFailed(entry));
    return true;
  }

  /** Logs the error's class only: a database driver's message can carry a connection string. */
  private ownedRevocationFailed(entry: TokenEntry) {
    return (error: unknown) =>
      this.deps.log.warn('revoking what a token owned failed', {
        accessor: entry.accessor,
        error: error instanceof Error ? error.name : 'error',
      });
  }

  /** Revokes only the token; its children become orphans. */
  async revokeOrphan(token: string): Promise<void> {
    const idHash = await this.storedName(token);
    const entry = idHash && (await this.deps.storage.getJson<TokenEntry>(`id/${idHash}`));
    if (!idHash || !entry) throw invalid('token to revoke not found');
    for (const child of await this.deps.storage.list(`parent/${idHash}/`)) {
      const childEntry = await this.deps.storage.getJson<TokenEntry>(`id/${hashOfName(child)}`);
      if (childEntry)
        await this.save({ ...childEntry, parentHash: undefined, parentIndexForm: undefined, orphan: true });
      await this.deps.storage.delete(`parent/${idHash}/${child}`);
    }
    await this.revokeOne(idHash);
  }

  async renew(token: string, incrementSeconds: number) {
    if (token.startsWith('hvb.')) throw invalid('batch tokens cannot be renewed');
    const entry = await this.lookup(token);
    if (!entry) throw invalid('token not found');
    return this.renewEntry(entry, incrementSeconds, token);
  }

  async renewEntry(entry: TokenEntry, incrementSeconds: number, token = '') {
    // A negative increment would be taken as the new TTL and end the token on the spot.
    if (incrementSeconds < 0) throw invalid('increment must not be negative');
    if (!entry.renewable) throw invalid('lease is not renewable');
    // A login token follows its role as it is now (Vault's pathLoginRenew): a deleted role refuses the
    // renewal; a changed period or tighter max TTL applies. Without this, a periodic token of a deleted
    // or compromised role renewed for ever.
    const login = entry.internalData ? await this.deps.loginRenewal?.(entry) : undefined;
    const period = login ? login.periodSeconds : entry.period;
    const maxTtl = login?.maxTtlSeconds
      ? Math.min(login.maxTtlSeconds, entry.maxTtl || Infinity)
      : entry.maxTtl;
    const now = this.deps.clock.now();
    const defaults = this.deps.defaults();
    const warnings: string[] = [];
    let ttl = period || incrementSeconds || login?.ttlSeconds || entry.creationTtl;
    const limits = [entry.explicitMaxTtl ? entry.creationTime + entry.explicitMaxTtl * 1000 : Infinity];
    // The max TTL of whatever made the token (a userpass mount tuned to 2m, a role's token_max_ttl),
    // not only the token mount's: Vault's renewals are capped the same way (CVE-2020-12757).
    if (!period) limits.push(entry.creationTime + (maxTtl || defaults.maxTtl) * 1000);
    const hardEnd = Math.min(...limits);
    if (now + ttl * 1000 > hardEnd) {
      const capped = Math.max(0, Math.floor((hardEnd - now) / 1000));
      warnings.push(
        `TTL of "${ttl}s" exceeded the effective max_ttl of "${capped}s"; TTL value is capped accordingly`,
      );
      ttl = capped;
    }
    const next: TokenEntry = { ...entry, period, maxTtl, expireTime: now + ttl * 1000, lastRenewal: now };
    await this.locks.run(entry.idHash, async () => {
      // A revocation that won the race must not be undone by writing the renewed entry back.
      if (!(await this.deps.storage.has(`id/${entry.idHash}`))) throw invalid('token not found');
      await this.save(next);
    });
    return { entry: next, warnings, wire: authBlock(token, next, now) };
  }

  /**
   * Revokes every token made through paths under `prefix` (an auth mount's `auth/up/`), with their
   * subtrees: disabling an auth method logs out its users, as Vault's revocation of the mount's token
   * leases does. Tokens are not leases here, so the store is scanned; disabling is rare.
   */
  async revokeByPathPrefix(prefix: string): Promise<number> {
    let revoked = 0;
    for (const name of await this.deps.storage.list('id/')) {
      const entry = await this.deps.storage.getJson<TokenEntry>(`id/${name}`);
      if (entry?.path.startsWith(prefix) && (await this.revokeHash(entry.idHash))) revoked++;
    }
    return revoked;
  }

  async listAccessors(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.deps.storage.list('id/')) {
      const entry = await this.deps.storage.getJson<TokenEntry>(`id/${name}`);
      if (entry?.accessor) out.push(entry.accessor);
    }
    return out.sort();
  }

  /** Removes index entries whose token no longer exists; returns how many. */
  async tidy(): Promise<number> {
    let removed = 0;
    for (const parent of await this.deps.storage.list('parent/')) {
      for (const child of await this.deps.storage.list(`parent/${parent}`)) {
        if (!(await this.deps.storage.has(`id/${hashOfName(child)}`))) {
          await this.deps.storage.delete(`parent/${parent}${child}`);
          removed++;
        }
      }
    }
    for (const name of await this.deps.storage.list('accessor/')) {
      const ref = await this.deps.storage.getJson<{ idHash: string }>(`accessor/${name}`);
      if (!ref || !(await this.deps.storage.has(`id/${ref.idHash}`))) {
        await this.deps.storage.delete(`accessor/${name}`);
        removed++;
      }
    }
    return removed;
  }

  /** Batch tokens carry their entry, encrypted; nothing is stored. */
  private async sealBatch(entry: TokenEntry): Promise<string> {
    const { batchKey } = await this.secrets();
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', batchKey, nonce);
    const body = Buffer.concat([cipher.update(JSON.stringify(entry)), cipher.final(), cipher.getAuthTag()]);
    return `hvb.${Buffer.concat([nonce, body]).toString('base64url')}`;
  }

  private async openBatch(token: string): Promise<TokenEntry | undefined> {
    const { batchKey } = await this.secrets();
    try {
      const raw = Buffer.from(token.slice(4), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', batchKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      const entry = JSON.parse(plain.toString('utf8')) as TokenEntry;
      if (entry.expireTime !== undefined && entry.expireTime <= this.deps.clock.now()) return undefined;
      return entry;
    } catch {
      return undefined;
    }
  }

  /** A batch token lives no longer than its parent: revoked or expired parent, dead child. */
  private async batchParentAlive(entry: TokenEntry): Promise<boolean> {
    return !entry.parentHash || (await this.lookupHash(entry.parentHash)) !== undefined;
  }

  /**
   * What a lease made with a batch token is bound to. The token has no accessor, so its leases are
   * filed under its parent's (revoking the parent revokes them, as in Vault) and may not outlive the
   * token itself (CVE-2020-25816). `gone` when the token or its parent no longer exists.
   */
  async batchLeaseScope(
    token: string,
  ): Promise<{ gone: boolean; ownerAccessor?: string; expireTime?: number }> {
    const entry = await this.openBatch(token);
    if (!entry) return { gone: true };
    if (!entry.parentHash) return { gone: false, expireTime: entry.expireTime };
    const parent = await this.deps.storage.getJson<TokenEntry>(`id/${entry.parentHash}`);
    if (!parent) return { gone: true };
    return { gone: false, ownerAccessor: parent.accessor, expireTime: entry.expireTime };
  }
}
