/** `entity`, `entity/id/:id`, `entity/name/*name`, their LISTs and `entity/batch-delete`. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath } from '../../../framework/path.js';
import { identityPolicies } from '../policy-names.js';
import type { EntityRecord } from '../records.js';
import type { IdentityStore } from '../store.js';
import { entityToWire } from '../wire.js';

const entityFields = {
  id: field.string('ID of the entity; when set, updates that entity.', { max: 128 }),
  name: field.string('Name of the entity.', { max: 512 }),
  metadata: field.kvPairs('Metadata of the entity: a map, or key=value pairs.'),
  policies: field.stringList('Policies tied to the entity.'),
  disabled: field.bool("When true, the entity's tokens are refused (not revoked)."),
};

type EntityInput = Input<typeof entityFields>;

/**
 * Vault's handleEntityUpdateCommon: an ID names the entity to update, else a name that exists names it,
 * else a new entity is made. A new entity's ID and name come back; an update answers 204.
 */
async function upsertEntity(store: IdentityStore, input: EntityInput): Promise<LogicalResponse | undefined> {
  return store.exclusive(async () => {
    let entity: EntityRecord | undefined;
    if (input.id) {
      entity = store.entity(input.id);
      if (!entity) throw invalid('entity not found from id');
    }
    if (input.name) {
      const byName = store.entityByName(input.name);
      if (byName && !entity) entity = byName;
      else if (byName && entity && byName.id !== entity.id) throw invalid('entity name is already in use');
    }
    const isNew = !entity;
    const base = entity ?? store.blankEntity();
    const next: EntityRecord = {
      ...base,
      name: input.name || base.name,
      policies: input.policies !== undefined ? identityPolicies(input.policies) : base.policies,
      metadata: input.metadata ?? base.metadata,
      disabled: input.disabled ?? base.disabled,
      lastUpdateTime: store.clock.now(),
    };
    await store.putEntity(next);
    if (!isNew) return undefined;
    return { data: { id: next.id, name: next.name, aliases: null } };
  });
}

function readEntity(store: IdentityStore, entity: EntityRecord | undefined) {
  return entity && { data: entityToWire(store, entity) };
}

async function deleteEntity(store: IdentityStore, entity: EntityRecord | undefined): Promise<void> {
  if (!entity) return; // Vault answers 204 for an entity that is not there
  await store.exclusive(() => store.deleteEntity(entity.id));
}

function listEntityIds(store: IdentityStore) {
  const keyInfo: Record<string, unknown> = {};
  for (const id of store.entityIds()) {
    const entity = store.entity(id)!;
    keyInfo[id] = {
      name: entity.name,
      aliases: entity.aliases.map((a) => ({
        id: a.id,
        canonical_id: a.canonicalId,
        mount_accessor: a.mountAccessor,
        name: a.name,
      })),
    };
  }
  return { data: { keys: Object.keys(keyInfo), key_info: keyInfo } };
}

export function entityPaths(store: IdentityStore) {
  return [
    definePath({
      pattern: 'entity',
      fields: entityFields,
      operations: { update: (_ctx, input) => upsertEntity(store, input) },
      help: 'Create an entity, or update the one named by id or name.',
    }),
    definePath({
      pattern: 'entity/id/',
      operations: { list: () => listEntityIds(store) },
      help: 'List the entity IDs.',
    }),
    definePath({
      pattern: 'entity/id/:id',
      fields: entityFields,
      operations: {
        read: (_ctx, input) => readEntity(store, store.entity(input.id!)),
        update: (_ctx, input) => upsertEntity(store, input),
        delete: (_ctx, input) => deleteEntity(store, store.entity(input.id!)),
      },
      help: 'Read, update or delete an entity by ID.',
    }),
    definePath({
      pattern: 'entity/name/',
      operations: { list: () => ({ data: { keys: store.entityNames() } }) },
      help: 'List the entity names.',
    }),
    definePath({
      pattern: 'entity/name/*name',
      fields: entityFields,
      operations: {
        read: (_ctx, input) => readEntity(store, store.entityByName(input.name!)),
        update: (_ctx, input) => upsertEntity(store, input),
        delete: (_ctx, input) => deleteEntity(store, store.entityByName(input.name!)),
      },
      help: 'Read, create, update or delete an entity by name.',
    }),
    definePath({
      pattern: 'entity/batch-delete',
      fields: { entity_ids: field.stringList('IDs of the entities to delete.') },
      operations: {
        update: async (_ctx, input) => {
          if (!input.entity_ids?.length) throw invalid('missing entity ids to delete');
          await store.exclusive(async () => {
            for (const id of input.entity_ids!) if (store.entity(id)) await store.deleteEntity(id);
          });
        },
      },
      help: 'Delete several entities at once.',
    }),
  ];
}
