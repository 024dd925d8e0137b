/** What every identity-token handler shares: the entity source, the per-mount lock and the rotation schedule. */
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { EngineContext } from '../../../framework/path.js';
import type { EntitySource } from './entity-source.js';
import type { RotationSchedule } from './rotation-schedule.js';
import { loadConfig } from './store.js';

export interface OidcRuntime {
  entities: EntitySource;
  /** Serialises writes to keys and roles with the rotation sweep, per mount (Vault's oidcLock). */
  lock: KeyedMutex;
  schedule: RotationSchedule;
}

export function underLock<T>(runtime: OidcRuntime, ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
  return runtime.lock.run(ctx.system.mountUuid, fn);
}

/** Vault's path of the issuer below the API address; fixed, whatever the identity mount is called. */
const ISSUER_PATH = '/v1/identity/oidc';

/** The `iss` of every token: the configured issuer, else the server's api_addr, plus `/v1/identity/oidc`. */
export async function effectiveIssuer(ctx: EngineContext): Promise<string> {
  const { issuer } = await loadConfig(ctx.storage);
  return (issuer || ctx.system.apiAddr?.() || '') + ISSUER_PATH;
}
