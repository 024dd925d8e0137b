/**
 * The identity store: entities (with their aliases) and groups, kept whole in memory as Vault keeps
 * them in memdb and written through to storage. A login looks its alias up in memory and writes only
 * when the alias is new or its metadata changed. Each entity's resolved identity (policies, template
 * context) is cached until that entity, or any group, is written.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../framework/clock.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import { jsonBytes, type StorageView } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';
import type { AliasRecord, AuthMountInfo, EntityRecord, GroupRecord } from './records.js';
import { type ResolvedIdentity, resolveIdentity } from './resolve.js';

export interface IdentityStoreDeps {
  clock: Clock;
  /** The auth mount holding this accessor, or undefined: aliases may only name existing auth mounts. */
  authMount: (accessor: string) => AuthMountInfo | undefined;
}

const factorsKey = (mountAccessor: string, name: string) => `${mountAccessor}\n${name.toLowerCase()}`;
const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Reads in flight at once while loading: enough to hide a networked store's round trips, bounded. */
const LOAD_BATCH = 256;

/**
 * Hands each record under `folder` to `take`, in list order: read a batch at a time in parallel, so
 * loading is not bound by one storage round trip per record, with at most LOAD_BATCH reads pending.
 */
async function loadAll<T>(storage: StorageView, folder: string, take: (record: T) => void): Promise<void> {
  const keys = (await storage.list(folder)).filter((key) => !key.endsWith('/'));
  for (let i = 0; i < keys.length; i += LOAD_BATCH) {
    const batch = keys.slice(i, i + LOAD_BATCH);
    for (const record of await Promise.all(batch.map((key) => storage.getJson<T>(folder + key))))
      if (record) take(record);
  }
}

/** A group as identity tokens see it. */
export interface GroupView {
  id: string;
  name: string;
  metadata: Record<string, string>;
}

export class IdentityStore {
  private storage?: StorageView;
  private readonly entities = new Map<string, EntityRecord>();
  private readonly entityIdByName = new Map<string, string>();
  private readonly aliasOwner = new Map<string, string>();
  private readonly aliasIdByFactors = new Map<string, string>();
  /** An entity merged away, to the entity it was merged into (Vault's merged_entity_ids index). */
  private readonly mergedInto = new Map<string, string>();
  private readonly groupsById = new Map<string, GroupRecord>();
  private readonly groupIdByName = new Map<string, string>();
  /** External groups by their alias's ID, and by its (mount accessor, name). */
  private readonly groupIdByAliasId = new Map<string, string>();
  private readonly groupIdByAliasFactors = new Map<string, string>();
  private readonly resolvedCache = new Map<string, ResolvedIdentity | null>();
  private readonly writes = new KeyedMutex();

  constructor(readonly deps: IdentityStoreDeps) {}

  /** Binds the identity mount's storage and loads everything (each unseal). */
  async open(storage: StorageView): Promise<void> {
    this.storage = storage;
    for (const map of [
      this.entities,
      this.entityIdByName,
      this.aliasOwner,
      this.aliasIdByFactors,
      this.mergedInto,
    ])
      map.clear();
    for (const map of [
      this.groupsById,
      this.groupIdByName,
      this.groupIdByAliasId,
      this.groupIdByAliasFactors,
    ])
      map.clear();
    this.resolvedCache.clear();
    await loadAll<EntityRecord>(storage, 'entity/', (record) => this.index(record));
    await loadAll<GroupRecord>(storage, 'group/', (record) => this.indexGroup(record));
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  newId(): string {
    return randomUUID();
  }

  /** Identity writes run one at a time, so checks and the write they guard see the same state. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.writes.run('', fn);
  }

  authMount(accessor: string): AuthMountInfo | undefined {
    return this.deps.authMount(accessor);
  }

  // ---- reads -------------------------------------------------------------------------------------

  entity(id: string): EntityRecord | undefined {
    return this.entities.get(id);
  }

  /** Names are case-insensitive, as Vault's identity store is by default. */
  entityByName(name: string): EntityRecord | undefined {
    const id = this.entityIdByName.get(name.toLowerCase());
    return id === undefined ? undefined : this.entities.get(id);
  }

  entityIds(): string[] {
    return [...this.entities.keys()];
  }

  entityNames(): string[] {
    return [...this.entities.values()].map((e) => e.name);
  }

  alias(id: string): { alias: AliasRecord; entity: EntityRecord } | undefined {
    const owner = this.aliasOwner.get(id);
    const entity = owner === undefined ? undefined : this.entities.get(owner);
    const alias = entity?.aliases.find((a) => a.id === id);
    return alias && entity && { alias, entity };
  }

  aliasByFactors(
    mountAccessor: string,
    name: string,
  ): { alias: AliasRecord; entity: EntityRecord } | undefined {
    const id = this.aliasIdByFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.alias(id);
  }

  aliasIds(): string[] {
    return [...this.aliasOwner.keys()];
  }

  group(id: string): GroupRecord | undefined {
    return this.groupsById.get(id);
  }

  groupByName(name: string): GroupRecord | undefined {
    const id = this.groupIdByName.get(name.toLowerCase());
    return id === undefined ? undefined : this.groupsById.get(id);
  }

  groups(): GroupRecord[] {
    return [...this.groupsById.values()];
  }

  groupByAliasId(aliasId: string): GroupRecord | undefined {
    const id = this.groupIdByAliasId.get(aliasId);
    return id === undefined ? undefined : this.groupsById.get(id);
  }

  groupByAliasFactors(mountAccessor: string, name: string): GroupRecord | undefined {
    const id = this.groupIdByAliasFactors.get(factorsKey(mountAccessor, name));
    return id === undefined ? undefined : this.groupsById.get(id);
  }

  get groupMap(): ReadonlyMap<string, GroupRecord> {
    return this.groupsById;
  }

  // ---- writes (callers hold `exclusive`) ---------------------------------------------------------

  async putEntity(record: EntityRecord): Promise<void> {
    await this.view().putJson(`entity/${record.id}`, record);
    this.unindex(record.id);
    this.index(record);
    // Only this entity's resolution changes (memberships live on groups), so a first login does not
    // make every other entity's token recompile its ACL.
    this.resolvedCache.delete(record.id);
  }

  /** Deletes the entity and its aliases, and takes it out of every group that lists it. */
  async deleteEntity(id: string): Promise<void> {
    for (const group of this.groups()) {
      if (!group.memberEntityIds.includes(id)) continue;
      await this.putGroup({ ...group, memberEntityIds: group.memberEntityIds.filter((m) => m !== id) });
    }
    await this.view().delete(`entity/${id}`);
    this.unindex(id);
    this.resolvedCache.clear();
  }

  async putGroup(record: GroupRecord): Promise<void> {
    await this.view().putJson(`group/${record.id}`, record);
    this.unindexGroup(record.id);
    this.indexGroup(record);
    this.resolvedCache.clear();
  }

  /** Deletes the group and takes it out of every group that lists it as a member. */
  async deleteGroup(id: string): Promise<void> {
    for (const group of this.groups()) {
      if (!group.memberGroupIds.includes(id)) continue;
      await this.putGroup({ ...group, memberGroupIds: group.memberGroupIds.filter((m) => m !== id) });
    }
    await this.view().delete(`group/${id}`);
    this.unindexGroup(id);
    this.resolvedCache.clear();
  }

  /**
   * Several entity and group writes as one storage transaction (all or nothing); memory follows only
   * once it committed, so a failed write leaves memory as storage is.
   */
  async commit(change: {
    putEntities?: EntityRecord[];
    deleteEntityIds?: string[];
    putGroups?: GroupRecord[];
  }): Promise<void> {
    const { putEntities = [], deleteEntityIds = [], putGroups = [] } = change;
    const ops: TxOp[] = [
      ...deleteEntityIds.map((id): TxOp => ({ op: 'delete', key: `entity/${id}` })),
      ...putEntities.map((e): TxOp => ({ op: 'put', key: `entity/${e.id}`, value: jsonBytes(e) })),
      ...putGroups.map((g): TxOp => ({ op: 'put', key: `group/${g.id}`, value: jsonBytes(g) })),
    ];
    if (ops.length === 0) return;
    await this.view().transaction(ops);
    for (const id of deleteEntityIds) this.unindex(id);
    for (const record of putEntities) {
      this.unindex(record.id);
      this.index(record);
    }
    for (const record of putGroups) {
      this.unindexGroup(record.id);
      this.indexGroup(record);
    }
    this.resolvedCache.clear();
  }

  /** A fresh entity with Vault's generated name (`entity_` and the first part of its ID). */
  blankEntity(): EntityRecord {
    const id = this.newId();
    const now = this.clock.now();
    return {
      id,
      name: `entity_${id.split('-')[0]}`,
      policies: [],
      metadata: {},
      disabled: false,
      aliases: [],
      creationTime: now,
      lastUpdateTime: now,
    };
  }

  // ---- login -------------------------------------------------------------------------------------

  /**
   * The entity of a login's alias on this auth mount, created with the alias when it is new. The alias
   * keeps the metadata of the latest login; storage is written only when something changed.
   */
  async entityForLogin(
    mountAccessor: string,
    login: { name: string; metadata?: Record<string, string> },
  ): Promise<EntityRecord> {
    const metadata = login.metadata ?? {};
    const known = this.aliasByFactors(mountAccessor, login.name);
    if (known && sameMap(known.alias.metadata, metadata)) return known.entity;
    return this.exclusive(async () => {
      const now = this.clock.now();
      const found = this.aliasByFactors(mountAccessor, login.name);
      if (found) {
        if (sameMap(found.alias.metadata, metadata)) return found.entity;
        const aliases = found.entity.aliases.map((a) =>
          a.id === found.alias.id ? { ...a, metadata, lastUpdateTime: now } : a,
        );
        const next = { ...found.entity, aliases };
        await this.putEntity(next);
        return next;
      }
      const entity = this.blankEntity();
      entity.aliases = [
        {
          id: this.newId(),
          canonicalId: entity.id,
          mountAccessor,
          name: login.name,
          metadata,
          customMetadata: {},
          creationTime: now,
          lastUpdateTime: now,
        },
      ];
      await this.putEntity(entity);
      return entity;
    });
  }

  /**
   * External groups follow the login (Vault's refreshExternalGroupMembershipsByEntityID): the entity is
   * a member of each external group whose alias on this mount names one of `groupNames`, and of no
   * other external group of this mount. Writes only what changed.
   */
  async syncExternalGroups(
    entityId: string,
    mountAccessor: string,
    groupNames: readonly string[],
  ): Promise<void> {
    const wanted = new Set(groupNames.map((n) => n.toLowerCase()));
    const changes = () =>
      this.groups().filter((g) => {
        if (g.type !== 'external' || g.alias?.mountAccessor !== mountAccessor) return false;
        return wanted.has(g.alias.name.toLowerCase()) !== g.memberEntityIds.includes(entityId);
      });
    if (changes().length === 0) return;
    await this.exclusive(async () => {
      for (const group of changes()) {
        const members = group.memberEntityIds.includes(entityId)
          ? group.memberEntityIds.filter((m) => m !== entityId)
          : [...group.memberEntityIds, entityId];
        await this.putGroup({ ...group, memberEntityIds: members, lastUpdateTime: this.clock.now() });
      }
    });
  }

  // ---- resolution (hot path) ---------------------------------------------------------------------

  /**
   * The entity with its groups' policies and template context; undefined when it no longer exists. An
   * entity merged into another resolves to that one, as Vault follows its merged-entity index: a token
   * of a merged-away entity acts with the target's identity.
   */
  resolve(entityId: string): ResolvedIdentity | undefined {
    const cached = this.resolvedCache.get(entityId);
    if (cached !== undefined) return cached ?? undefined;
    const entity = this.entities.get(entityId);
    const target = entity ? undefined : this.mergedInto.get(entityId);
    // Not cached under the merged-away ID: the target's own entry follows the target's writes.
    if (target !== undefined) return this.resolve(target);
    const resolved = entity ? resolveIdentity(entity, this.groupsById.values()) : undefined;
    this.resolvedCache.set(entityId, resolved ?? null);
    return resolved;
  }

  // ---- the OIDC provider's read interface ---------------------------------------------------------

  /** Direct and inherited groups of the entity; empty when there is no such entity. */
  groupsOfEntity(id: string): GroupView[] {
    const resolved = this.entities.has(id) ? this.resolve(id) : undefined;
    if (!resolved) return [];
    return [...resolved.directGroupIds, ...resolved.inheritedGroupIds].flatMap((groupId) => {
      const group = this.groupsById.get(groupId);
      return group ? [{ id: group.id, name: group.name, metadata: { ...group.metadata } }] : [];
    });
  }

  // ---- indexes -----------------------------------------------------------------------------------

  private view(): StorageView {
    if (!this.storage) throw new Error('identity store is not open');
    return this.storage;
  }

  private index(record: EntityRecord): void {
    this.entities.set(record.id, record);
    this.entityIdByName.set(record.name.toLowerCase(), record.id);
    for (const alias of record.aliases) {
      this.aliasOwner.set(alias.id, record.id);
      this.aliasIdByFactors.set(factorsKey(alias.mountAccessor, alias.name), alias.id);
    }
    for (const merged of record.mergedEntityIds ?? []) this.mergedInto.set(merged, record.id);
  }

  private unindex(id: string): void {
    const previous = this.entities.get(id);
    if (!previous) return;
    this.entities.delete(id);
    if (this.entityIdByName.get(previous.name.toLowerCase()) === id)
      this.entityIdByName.delete(previous.name.toLowerCase());
    for (const alias of previous.aliases) {
      this.aliasOwner.delete(alias.id);
      const key = factorsKey(alias.mountAccessor, alias.name);
      if (this.aliasIdByFactors.get(key) === alias.id) this.aliasIdByFactors.delete(key);
    }
    for (const merged of previous.mergedEntityIds ?? [])
      if (this.mergedInto.get(merged) === id) this.mergedInto.delete(merged);
  }

  private indexGroup(record: GroupRecord): void {
    this.groupsById.set(record.id, record);
    this.groupIdByName.set(record.name.toLowerCase(), record.id);
    if (record.alias) {
      this.groupIdByAliasId.set(record.alias.id, record.id);
      this.groupIdByAliasFactors.set(factorsKey(record.alias.mountAccessor, record.alias.name), record.id);
    }
  }

  private unindexGroup(id: string): void {
    const previous = this.groupsById.get(id);
    if (!previous) return;
    this.groupsById.delete(id);
    this.groupIdByName.delete(previous.name.toLowerCase());
    if (previous.alias) {
      this.groupIdByAliasId.delete(previous.alias.id);
      this.groupIdByAliasFactors.delete(factorsKey(previous.alias.mountAccessor, previous.alias.name));
    }
  }
}
