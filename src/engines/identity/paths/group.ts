/** `group`, `group/id/:id`, `group/name/:name` and their LISTs: internal groups and their members. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath } from '../../../framework/path.js';
import { cyclicMember } from '../groups.js';
import { identityPolicies } from '../policy-names.js';
import type { GroupRecord, GroupType } from '../records.js';
import type { IdentityStore } from '../store.js';
import { groupToWire } from '../wire.js';

const groupFields = {
  id: field.string('ID of the group; when set, updates that group.', { max: 128 }),
  name: field.string('Name of the group.', { max: 512 }),
  type: field.string('internal (members set here) or external (members from an auth method).', { max: 16 }),
  metadata: field.kvPairs('Metadata of the group: a map, or key=value pairs.'),
  policies: field.stringList('Policies tied to the group.'),
  member_entity_ids: field.stringList('IDs of the entities that are members of the group.'),
  member_group_ids: field.stringList('IDs of the groups that are members of the group.'),
};

type GroupInput = Input<typeof groupFields>;

const MAX_MEMBER_ENTITIES = 512;

function checkMembers(store: IdentityStore, group: GroupRecord): void {
  if (group.memberEntityIds.length > MAX_MEMBER_ENTITIES)
    throw invalid('member entity IDs exceeding the limit of 512');
  for (const id of group.memberEntityIds) if (!store.entity(id)) throw invalid(`invalid entity ID "${id}"`);
  for (const id of group.memberGroupIds) {
    if (id === group.id) throw invalid(`member group ID "${id}" is same as the ID of the group`);
    if (!store.group(id)) throw invalid(`invalid member group ID "${id}"`);
  }
  const cycle = cyclicMember(group.id, group.memberGroupIds, store.groupMap);
  if (cycle) throw invalid(`cyclic relationship detected for member group ID "${cycle}"`);
}

function groupType(requested: string | undefined, existing: GroupRecord | undefined): GroupType {
  const type = requested || existing?.type || 'internal';
  if (existing && requested && requested !== existing.type) throw invalid('group type cannot be changed');
  if (type !== 'internal' && type !== 'external') throw invalid(`invalid group type "${type}"`);
  return type;
}

/** Vault's handleGroupUpdateCommon; `existing` undefined creates. Answers the group's ID and name. */
async function writeGroup(
  store: IdentityStore,
  input: GroupInput,
  existing: GroupRecord | undefined,
): Promise<LogicalResponse> {
  const type = groupType(input.type, existing);
  if (type === 'external' && input.member_entity_ids)
    throw invalid("member entities can't be set manually for external groups");
  if (type === 'external' && input.member_group_ids)
    throw invalid("member groups can't be set for external groups");
  if (input.name) {
    const byName = store.groupByName(input.name);
    if (byName && byName.id !== existing?.id) throw invalid('group name is already in use');
  }
  const now = store.clock.now();
  const id = existing?.id ?? store.newId();
  const group: GroupRecord = {
    id,
    name: input.name || existing?.name || `group_${id.split('-')[0]}`,
    type,
    policies: input.policies !== undefined ? identityPolicies(input.policies) : (existing?.policies ?? []),
    metadata: input.metadata ?? existing?.metadata ?? {},
    memberEntityIds: input.member_entity_ids
      ? [...new Set(input.member_entity_ids)]
      : (existing?.memberEntityIds ?? []),
    memberGroupIds: input.member_group_ids
      ? [...new Set(input.member_group_ids)]
      : (existing?.memberGroupIds ?? []),
    creationTime: existing?.creationTime ?? now,
    lastUpdateTime: now,
    modifyIndex: (existing?.modifyIndex ?? 0) + 1,
  };
  checkMembers(store, group);
  await store.putGroup(group);
  return { data: { id: group.id, name: group.name } };
}

const readGroup = (store: IdentityStore, group: GroupRecord | undefined) =>
  group && { data: groupToWire(store, group) };

async function deleteGroup(store: IdentityStore, group: GroupRecord | undefined): Promise<void> {
  if (group) await store.exclusive(() => store.deleteGroup(group.id));
}

function listGroupIds(store: IdentityStore) {
  const keyInfo: Record<string, unknown> = {};
  for (const group of store.groups()) {
    keyInfo[group.id] = { name: group.name, num_member_entities: group.memberEntityIds.length };
  }
  return { data: { keys: Object.keys(keyInfo), key_info: keyInfo } };
}

export function groupPaths(store: IdentityStore) {
  const byId = (input: GroupInput) => {
    const group = store.group(input.id!);
    if (!group) throw invalid('invalid group ID');
    return group;
  };
  return [
    definePath({
      pattern: 'group',
      fields: groupFields,
      operations: {
        update: (_ctx, input) =>
          store.exclusive(() => writeGroup(store, input, input.id ? byId(input) : undefined)),
      },
      help: 'Create a group, or update the one named by id.',
    }),
    definePath({
      pattern: 'group/id/',
      operations: { list: () => listGroupIds(store) },
      help: 'List the group IDs.',
    }),
    definePath({
      pattern: 'group/id/:id',
      fields: groupFields,
      operations: {
        read: (_ctx, input) => readGroup(store, store.group(input.id!)),
        update: (_ctx, input) => store.exclusive(() => writeGroup(store, input, byId(input))),
        delete: (_ctx, input) => deleteGroup(store, store.group(input.id!)),
      },
      help: 'Read, update or delete a group by ID.',
    }),
    definePath({
      pattern: 'group/name/',
      operations: { list: () => ({ data: { keys: store.groups().map((g) => g.name) } }) },
      help: 'List the group names.',
    }),
    definePath({
      pattern: 'group/name/:name',
      fields: groupFields,
      operations: {
        read: (_ctx, input) => readGroup(store, store.groupByName(input.name!)),
        update: (_ctx, input) =>
          store.exclusive(() => writeGroup(store, input, store.groupByName(input.name!))),
        delete: (_ctx, input) => deleteGroup(store, store.groupByName(input.name!)),
      },
      help: 'Read, create, update or delete a group by name.',
    }),
  ];
}
