/** `group-alias`: ties an external group to a group name on one auth mount (JWT's groups claim). */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath } from '../../../framework/path.js';
import type { GroupAliasRecord, GroupRecord } from '../records.js';
import type { IdentityStore } from '../store.js';

const groupAliasFields = {
  id: field.string('ID of the group alias; when set, updates it.', { max: 128 }),
  name: field.string('Name of the group on the auth mount.', { max: 512 }),
  mount_accessor: field.string('Accessor of the auth mount the group comes from.', { max: 128 }),
  canonical_id: field.string('ID of the external group the alias belongs to.', { max: 128 }),
};

type GroupAliasInput = Input<typeof groupAliasFields>;

export function groupAliasToWire(store: IdentityStore, group: GroupRecord): Record<string, unknown> {
  const alias = group.alias;
  if (!alias) return {};
  const mount = store.authMount(alias.mountAccessor);
  return {
    id: alias.id,
    canonical_id: group.id,
    name: alias.name,
    mount_accessor: alias.mountAccessor,
    mount_path: mount ? `auth/${mount.path}` : undefined,
    mount_type: mount?.type,
    metadata: null,
    merged_from_canonical_ids: null,
    creation_time: new Date(alias.creationTime).toISOString(),
    last_update_time: new Date(alias.lastUpdateTime).toISOString(),
  };
}

/** Creates or updates; the alias lives on its group, which must be external and have no other alias. */
async function writeGroupAlias(store: IdentityStore, input: GroupAliasInput): Promise<LogicalResponse> {
  const current = input.id ? store.groupByAliasId(input.id) : undefined;
  if (input.id && !current) throw invalid('invalid group alias ID');
  const name = input.name || current?.alias?.name;
  const accessor = input.mount_accessor || current?.alias?.mountAccessor;
  if (!name) throw invalid('missing alias name');
  if (!accessor) throw invalid('missing mount_accessor');
  if (!store.authMount(accessor)) throw invalid(`invalid mount accessor "${accessor}"`);
  const clash = store.groupByAliasFactors(accessor, name);
  if (clash && clash.alias?.id !== current?.alias?.id)
    throw invalid('combination of mount and group alias name is already in use');
  const target = input.canonical_id ? store.group(input.canonical_id) : current;
  if (!target) throw invalid('invalid group ID given in canonical_id');
  if (target.type !== 'external') throw invalid("alias can't be set on an internal group");
  if (target.alias && target.alias.id !== current?.alias?.id) throw invalid('group already has an alias');
  const now = store.clock.now();
  const alias: GroupAliasRecord = {
    id: current?.alias?.id ?? store.newId(),
    name,
    mountAccessor: accessor,
    creationTime: current?.alias?.creationTime ?? now,
    lastUpdateTime: now,
  };
  if (current && current.id !== target.id) await store.putGroup({ ...current, alias: undefined });
  await store.putGroup({ ...target, alias, lastUpdateTime: now, modifyIndex: target.modifyIndex + 1 });
  return { data: { id: alias.id, canonical_id: target.id } };
}

export function groupAliasPaths(store: IdentityStore) {
  return [
    definePath({
      pattern: 'group-alias',
      fields: groupAliasFields,
      operations: { update: (_ctx, input) => store.exclusive(() => writeGroupAlias(store, input)) },
      help: 'Create a group alias for an external group, or update the one named by id.',
    }),
    definePath({
      pattern: 'group-alias/id/',
      operations: {
        list: () => {
          const keyInfo: Record<string, unknown> = {};
          for (const group of store.groups())
            if (group.alias) keyInfo[group.alias.id] = groupAliasToWire(store, group);
          return { data: { keys: Object.keys(keyInfo), key_info: keyInfo } };
        },
      },
      help: 'List the group alias IDs.',
    }),
    definePath({
      pattern: 'group-alias/id/:id',
      fields: groupAliasFields,
      operations: {
        read: (_ctx, input) => {
          const group = store.groupByAliasId(input.id!);
          return group && { data: groupAliasToWire(store, group) };
        },
        update: (_ctx, input) => store.exclusive(() => writeGroupAlias(store, input)),
        delete: (_ctx, input) =>
          store.exclusive(async () => {
            const group = store.groupByAliasId(input.id!);
            if (group)
              await store.putGroup({ ...group, alias: undefined, lastUpdateTime: store.clock.now() });
          }),
      },
      help: 'Read, update or delete a group alias by ID.',
    }),
  ];
}
