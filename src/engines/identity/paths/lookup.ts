/** `lookup/entity` and `lookup/group`: find one by ID, name or alias; 204 when nothing matches. */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import type { IdentityStore } from '../store.js';
import { entityToWire, groupToWire } from '../wire.js';

const lookupFields = {
  id: field.string('ID to look up.', { max: 128 }),
  name: field.string('Name to look up.', { max: 512 }),
  alias_id: field.string('ID of an alias of the one to look up.', { max: 128 }),
  alias_name: field.string('Name of an alias (with alias_mount_accessor).', { max: 512 }),
  alias_mount_accessor: field.string('Auth mount accessor of the alias (with alias_name).', { max: 128 }),
};

type Criteria = { [K in keyof typeof lookupFields]?: string };

/** Vault's rule: exactly one criterion, alias name and mount accessor counting as one. */
function checkCriteria(input: Criteria): void {
  const given = Object.values(input).filter((v) => v).length;
  if (given === 0) throw invalid('query parameter not supplied');
  const aliasPair = Boolean(input.alias_name && input.alias_mount_accessor);
  if (given > 1 && !(given === 2 && aliasPair))
    throw invalid('query parameter conflict; please supply distinct set of query parameters');
  if (!aliasPair && (input.alias_name || input.alias_mount_accessor))
    throw invalid("both 'alias_name' and 'alias_mount_accessor' needs to be set");
}

function findEntity(store: IdentityStore, input: Criteria) {
  if (input.id) return store.entity(input.id);
  if (input.name) return store.entityByName(input.name);
  if (input.alias_id) return store.alias(input.alias_id)?.entity;
  return store.aliasByFactors(input.alias_mount_accessor!, input.alias_name!)?.entity;
}

export function lookupPaths(store: IdentityStore) {
  return [
    definePath({
      pattern: 'lookup/entity',
      fields: lookupFields,
      operations: {
        update: (_ctx, input) => {
          checkCriteria(input);
          const entity = findEntity(store, input);
          return entity && { data: entityToWire(store, entity) };
        },
      },
      help: 'Find an entity by ID, name or alias.',
    }),
    definePath({
      pattern: 'lookup/group',
      fields: lookupFields,
      operations: {
        update: (_ctx, input) => {
          checkCriteria(input);
          const group = input.id
            ? store.group(input.id)
            : input.name
              ? store.groupByName(input.name)
              : input.alias_id
                ? store.groupByAliasId(input.alias_id)
                : store.groupByAliasFactors(input.alias_mount_accessor!, input.alias_name!);
          return group && { data: groupToWire(store, group) };
        },
      },
      help: 'Find a group by ID, name or alias.',
    }),
  ];
}
