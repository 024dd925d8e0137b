/**
 * The `identity/` built-in mount: entities, their aliases on auth mounts, and groups. Bound to the
 * core's identity store, which logins and the ACL read too. The OIDC provider (oidc/) reads it through
 * `IdentityReader`.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { aliasPaths } from './paths/alias.js';
import { entityPaths } from './paths/entity.js';
import { groupPaths } from './paths/group.js';
import { groupAliasPaths } from './paths/group-alias.js';
import { lookupPaths } from './paths/lookup.js';
import { mergePaths } from './paths/merge.js';
import type { IdentityStore } from './store.js';

export type { EntityView, GroupView, IdentityReader } from './reader.js';
export type { AuthMountInfo } from './records.js';
export type { ResolvedIdentity } from './resolve.js';
export { IdentityStore } from './store.js';

export function createIdentityEngine(store: IdentityStore): Engine {
  return defineEngine({
    type: 'identity',
    help: 'Entities, entity aliases and groups: who a token belongs to, whichever way it logged in.',
    paths: [
      ...entityPaths(store),
      ...aliasPaths(store),
      ...mergePaths(store),
      ...groupPaths(store),
      ...groupAliasPaths(store),
      ...lookupPaths(store),
    ],
    initialize: (ctx) => store.open(ctx.storage),
  });
}
