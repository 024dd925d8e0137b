/**
 * The `identity/` built-in mount: entities, their aliases on auth mounts, and groups, plus the identity
 * tokens of oidc/. Bound to the core's identity store, which logins and the ACL read too; oidc/ reads
 * entities through an EntitySource over the same store.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import type { EntitySource } from './oidc/entity-source.js';
import { createOidc } from './oidc/index.js';
import { aliasPaths } from './paths/alias.js';
import { entityPaths } from './paths/entity.js';
import { groupPaths } from './paths/group.js';
import { groupAliasPaths } from './paths/group-alias.js';
import { lookupPaths } from './paths/lookup.js';
import { mergePaths } from './paths/merge.js';
import type { IdentityStore } from './store.js';

export type { AuthMountInfo } from './records.js';
export type { ResolvedIdentity } from './resolve.js';
export { IdentityStore } from './store.js';

/** The store as identity tokens see an entity: its aliases and its direct and inherited groups. */
function entitySource(store: IdentityStore): EntitySource {
  return {
    async entityById(id) {
      const entity = store.entity(id);
      if (!entity) return undefined;
      const groups = store.groupsOfEntity(id);
      return {
        id: entity.id,
        name: entity.name,
        disabled: entity.disabled,
        metadata: { ...entity.metadata },
        groupIds: groups.map((group) => group.id),
        groupNames: groups.map((group) => group.name),
        aliases: entity.aliases.map((alias) => ({
          id: alias.id,
          name: alias.name,
          mountAccessor: alias.mountAccessor,
          metadata: { ...alias.metadata },
          customMetadata: { ...alias.customMetadata },
        })),
      };
    },
  };
}

export function createIdentityEngine(store: IdentityStore): Engine {
  const oidc = createOidc({ entities: entitySource(store) });
  return defineEngine({
    type: 'identity',
    help: 'Entities, entity aliases and groups (who a token belongs to, whichever way it logged in), and identity tokens about them.',
    paths: [
      ...entityPaths(store),
      ...aliasPaths(store),
      ...mergePaths(store),
      ...groupPaths(store),
      ...groupAliasPaths(store),
      ...lookupPaths(store),
      ...oidc.paths,
    ],
    initialize: async (ctx) => {
      await store.open(ctx.storage);
      await oidc.initialize(ctx);
    },
    cleanup: (ctx) => oidc.cleanup(ctx),
  });
}
