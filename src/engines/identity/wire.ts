/** The wire shapes of identity records (Vault's field names, RFC 3339 times). */

import { groupAliasToWire } from './paths/group-alias.js';
import type { AliasRecord, EntityRecord, GroupRecord } from './records.js';
import type { IdentityStore } from './store.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function aliasToWire(store: IdentityStore, alias: AliasRecord): Record<string, unknown> {
  const mount = store.authMount(alias.mountAccessor);
  return {
    id: alias.id,
    canonical_id: alias.canonicalId,
    mount_accessor: alias.mountAccessor,
    mount_path: mount ? `auth/${mount.path}` : undefined,
    mount_type: mount?.type,
    name: alias.name,
    metadata: Object.keys(alias.metadata).length ? alias.metadata : null,
    custom_metadata: alias.customMetadata,
    creation_time: iso(alias.creationTime),
    last_update_time: iso(alias.lastUpdateTime),
    local: mount?.local ?? false,
    merged_from_canonical_ids: null,
  };
}

export function entityToWire(store: IdentityStore, entity: EntityRecord): Record<string, unknown> {
  const resolved = store.resolve(entity.id);
  const direct = resolved?.directGroupIds ?? [];
  const inherited = resolved?.inheritedGroupIds ?? [];
  return {
    id: entity.id,
    name: entity.name,
    metadata: Object.keys(entity.metadata).length ? entity.metadata : null,
    policies: entity.policies,
    disabled: entity.disabled,
    namespace_id: 'root',
    merged_entity_ids: entity.mergedEntityIds?.length ? entity.mergedEntityIds : null,
    creation_time: iso(entity.creationTime),
    last_update_time: iso(entity.lastUpdateTime),
    aliases: entity.aliases.map((alias) => aliasToWire(store, alias)),
    direct_group_ids: direct,
    inherited_group_ids: inherited,
    group_ids: [...direct, ...inherited],
  };
}

export function groupToWire(store: IdentityStore, group: GroupRecord): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    type: group.type,
    policies: group.policies,
    metadata: Object.keys(group.metadata).length ? group.metadata : null,
    member_entity_ids: group.memberEntityIds,
    member_group_ids: group.memberGroupIds,
    parent_group_ids: null,
    namespace_id: 'root',
    alias: groupAliasToWire(store, group),
    creation_time: iso(group.creationTime),
    last_update_time: iso(group.lastUpdateTime),
    modify_index: group.modifyIndex,
  };
}
