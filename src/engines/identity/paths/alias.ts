/** `entity-alias` and `entity-alias/id/:id`: the links between entities and auth-mount identities. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath } from '../../../framework/path.js';
import type { AliasRecord, EntityRecord } from '../records.js';
import type { IdentityStore } from '../store.js';
import { aliasToWire } from '../wire.js';

const aliasFields = {
  id: field.string('ID of the alias; when set, updates that alias.', { max: 128 }),
  canonical_id: field.string('ID of the entity the alias belongs to.', { max: 128 }),
  entity_id: field.string('Deprecated name of canonical_id.', { max: 128 }),
  mount_accessor: field.string('Accessor of the auth mount the alias belongs to.', { max: 128 }),
  name: field.string('Name of the alias: what the auth method calls the user.', { max: 512 }),
  custom_metadata: field.kvPairs('Operator-set metadata of the alias.'),
};

type AliasInput = Input<typeof aliasFields>;
type Change = {
  canonicalId: string;
  name: string;
  mountAccessor: string;
  customMetadata: Record<string, string>;
};

/** Vault's custom metadata limits (sdk/helper/custommetadata). */
function checkCustomMetadata(metadata: Record<string, string> | undefined): void {
  if (!metadata) return;
  const keys = Object.keys(metadata);
  if (keys.length > 64) throw invalid('custom_metadata must have at most 64 keys');
  for (const key of keys) {
    if (key.length > 128)
      throw invalid(`custom_metadata key "${key.slice(0, 16)}…" is longer than 128 bytes`);
    if (metadata[key].length > 512)
      throw invalid(`custom_metadata value of "${key}" is longer than 512 bytes`);
  }
}

function requireMount(store: IdentityStore, accessor: string): void {
  if (!store.authMount(accessor)) throw invalid(`invalid mount accessor "${accessor}"`);
}

async function createAlias(store: IdentityStore, change: Change): Promise<LogicalResponse> {
  let entity: EntityRecord | undefined;
  if (change.canonicalId) {
    entity = store.entity(change.canonicalId);
    if (!entity) throw invalid('invalid canonical ID');
  }
  entity ??= store.blankEntity();
  // One alias per entity per auth mount, as Vault enforces.
  if (entity.aliases.some((a) => a.mountAccessor === change.mountAccessor))
    throw invalid('Alias already exists for requested entity and mount accessor');
  const now = store.clock.now();
  const alias: AliasRecord = {
    id: store.newId(),
    canonicalId: entity.id,
    mountAccessor: change.mountAccessor,
    name: change.name,
    metadata: {},
    customMetadata: change.customMetadata,
    creationTime: now,
    lastUpdateTime: now,
  };
  await store.putEntity({ ...entity, aliases: [...entity.aliases, alias], lastUpdateTime: now });
  return { data: { id: alias.id, canonical_id: entity.id } };
}

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

async function updateAlias(
  store: IdentityStore,
  alias: AliasRecord,
  current: EntityRecord,
  change: Change,
): Promise<LogicalResponse | undefined> {
  const moving = change.canonicalId !== '' && change.canonicalId !== alias.canonicalId;
  const renamed = change.name !== alias.name || change.mountAccessor !== alias.mountAccessor;
  if (!moving && !renamed && sameMap(change.customMetadata, alias.customMetadata)) return undefined;
  if (change.mountAccessor !== alias.mountAccessor && !moving) {
    if (current.aliases.some((a) => a.mountAccessor === change.mountAccessor))
      throw invalid(
        "Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' ",
      );
  }
  requireMount(store, change.mountAccessor);
  const clash = store.aliasByFactors(change.mountAccessor, change.name);
  if (clash && clash.alias.id !== alias.id)
    throw invalid('alias with combination of mount accessor and name already exists');
  const now = store.clock.now();
  const updated: AliasRecord = {
    ...alias,
    name: change.name,
    mountAccessor: change.mountAccessor,
    customMetadata: change.customMetadata,
    lastUpdateTime: now,
  };
  if (!moving) {
    const aliases = current.aliases.map((a) => (a.id === alias.id ? updated : a));
    await store.putEntity({ ...current, aliases, lastUpdateTime: now });
    return { data: { id: alias.id, canonical_id: current.id } };
  }
  const target = store.entity(change.canonicalId);
  if (!target) throw invalid("given 'canonical_id' is not associated with an entity");
  if (target.aliases.some((a) => a.mountAccessor === change.mountAccessor))
    throw invalid('Alias cannot be updated as the given entity already has an alias for this mount ');
  // The old owner first: writing it unindexes its aliases, the moved one included.
  await store.putEntity({ ...current, aliases: current.aliases.filter((a) => a.id !== alias.id) });
  const moved = { ...updated, canonicalId: target.id };
  await store.putEntity({ ...target, aliases: [...target.aliases, moved], lastUpdateTime: now });
  return { data: { id: alias.id, canonical_id: target.id } };
}

/** Vault's handleAliasCreateUpdate: an ID names the alias, else (mount accessor, name) may. */
function writeAlias(store: IdentityStore, input: AliasInput): Promise<LogicalResponse | undefined> {
  checkCustomMetadata(input.custom_metadata);
  const canonicalId = input.canonical_id || input.entity_id || '';
  return store.exclusive(async () => {
    if (input.id) {
      const found = store.alias(input.id);
      if (!found) throw invalid('invalid alias ID provided');
      const { alias, entity } = found;
      return updateAlias(store, alias, entity, {
        canonicalId,
        name: input.name || alias.name,
        mountAccessor: input.mount_accessor || alias.mountAccessor,
        customMetadata: input.custom_metadata ?? alias.customMetadata,
      });
    }
    if (!input.mount_accessor || !input.name)
      throw invalid("'id' or 'mount_accessor' and 'name' must be provided");
    requireMount(store, input.mount_accessor);
    const change = {
      canonicalId,
      name: input.name,
      mountAccessor: input.mount_accessor,
      customMetadata: input.custom_metadata ?? {},
    };
    const existing = store.aliasByFactors(input.mount_accessor, input.name);
    if (!existing) return createAlias(store, change);
    if (!input.custom_metadata) change.customMetadata = existing.alias.customMetadata;
    return updateAlias(store, existing.alias, existing.entity, change);
  });
}

function listAliases(store: IdentityStore) {
  const keyInfo: Record<string, unknown> = {};
  for (const id of store.aliasIds()) {
    const { alias } = store.alias(id)!;
    const mount = store.authMount(alias.mountAccessor);
    keyInfo[id] = {
      canonical_id: alias.canonicalId,
      custom_metadata: alias.customMetadata,
      local: mount?.local ?? false,
      mount_accessor: alias.mountAccessor,
      mount_path: mount ? `auth/${mount.path}` : undefined,
      mount_type: mount?.type,
      name: alias.name,
    };
  }
  return { data: { keys: Object.keys(keyInfo), key_info: keyInfo } };
}

export function aliasPaths(store: IdentityStore) {
  return [
    definePath({
      pattern: 'entity-alias',
      fields: aliasFields,
      operations: { update: (_ctx, input) => writeAlias(store, input) },
      help: 'Create an entity alias, or update the one named by id or by mount accessor and name.',
    }),
    definePath({
      pattern: 'entity-alias/id/',
      operations: { list: () => listAliases(store) },
      help: 'List the entity alias IDs.',
    }),
    definePath({
      pattern: 'entity-alias/id/:id',
      fields: aliasFields,
      operations: {
        read: (_ctx, input) => {
          const found = store.alias(input.id!);
          return found && { data: aliasToWire(store, found.alias) };
        },
        update: (_ctx, input) => writeAlias(store, input),
        delete: async (_ctx, input) => {
          await store.exclusive(async () => {
            const found = store.alias(input.id!);
            if (!found) return;
            const aliases = found.entity.aliases.filter((a) => a.id !== input.id);
            await store.putEntity({ ...found.entity, aliases, lastUpdateTime: store.clock.now() });
          });
        },
      },
      help: 'Read, update or delete an entity alias by ID.',
    }),
  ];
}
