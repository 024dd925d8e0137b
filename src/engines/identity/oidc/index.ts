/**
 * Identity tokens (Vault's `identity/oidc/*`): named signing keys that rotate on their own, roles,
 * signed JWTs about the caller's entity, introspection, and the public discovery document and JWKS.
 * The identity engine lists `oidc.paths` and calls `initialize`/`cleanup` from its own.
 */

import { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { CompiledPath, EngineContext } from '../../../framework/path.js';
import type { EntitySource } from './entity-source.js';
import { configPaths } from './paths/config.js';
import { introspectPaths } from './paths/introspect.js';
import { DEFAULT_KEY, defaultKeySettings, keyPaths } from './paths/keys.js';
import { rolePaths } from './paths/roles.js';
import { tokenPaths } from './paths/token.js';
import { wellKnownPaths } from './paths/well-known.js';
import { RotationSchedule } from './rotation-schedule.js';
import type { OidcRuntime } from './runtime.js';
import { loadKey, saveKey } from './store.js';

export type { EntitySource, EntityView } from './entity-source.js';

export interface OidcDeps {
  /** Where token claims and introspection find entities (the identity store). */
  entities: EntitySource;
}

export interface Oidc {
  /** Every `oidc/…` path, relative to the identity mount. */
  paths: CompiledPath[];
  /** Call from the identity engine's initialize (mount and every unseal): default key, rotation timer. */
  initialize(ctx: EngineContext): Promise<void>;
  /** Call from the identity engine's cleanup (seal, unmount): stops the timer. */
  cleanup(ctx: EngineContext): Promise<void>;
  /** Resolves once no rotation sweep is running on the mount. */
  idle(ctx: EngineContext): Promise<void>;
}

export function createOidc(deps: OidcDeps): Oidc {
  const lock = new KeyedMutex();
  const runtime: OidcRuntime = { entities: deps.entities, lock, schedule: new RotationSchedule(lock) };
  return {
    paths: [
      ...configPaths,
      ...keyPaths(runtime),
      ...rolePaths(runtime),
      ...tokenPaths(runtime),
      ...introspectPaths(runtime),
      ...wellKnownPaths,
    ],
    async initialize(ctx) {
      // Vault writes the default key's settings with the identity store; its versions come later.
      await lock.run(ctx.system.mountUuid, async () => {
        if (!(await loadKey(ctx.storage, DEFAULT_KEY)))
          await saveKey(ctx.storage, DEFAULT_KEY, defaultKeySettings(ctx.clock.now()));
      });
      await runtime.schedule.start(ctx);
    },
    cleanup: (ctx) => runtime.schedule.stop(ctx),
    idle: (ctx) => runtime.schedule.idle(ctx),
  };
}
