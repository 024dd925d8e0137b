/**
 * Built-in secrets engines and auth methods by type; adding one is one line here. Each module is
 * imported when a mount of its type is first set up (core/engine-registry.ts says why).
 */
import type { EngineLoader } from '../core/engine-registry.js';
import type { Engine } from '../framework/engine.js';

export const builtinEngineLoaders: Readonly<Record<string, EngineLoader>> = {
  kv: async () => (await import('./kv/index.js')).kvEngine,
  cubbyhole: async () => (await import('./cubbyhole/index.js')).cubbyholeEngine,
  userpass: async () => (await import('../auth/userpass/index.js')).userpassEngine,
  approle: async () => (await import('../auth/approle/index.js')).approleEngine,
  jwt: async () => (await import('../auth/jwt/index.js')).jwtEngine,
  oidc: async () => (await import('../auth/jwt/index.js')).oidcEngine,
  kubernetes: async () => (await import('../auth/kubernetes/index.js')).kubernetesEngine,
  ldap: async () => (await import('../auth/ldap/index.js')).ldapEngine,
  database: async () => (await import('./database/index.js')).databaseEngine,
  transit: async () => (await import('./transit/index.js')).transitEngine,
  pki: async () => (await import('./pki/index.js')).pkiEngine,
};

/** Every built-in engine, loaded now (tests that walk all of them, the in-process benchmark). */
export function loadBuiltinEngines(): Promise<Engine[]> {
  return Promise.all(Object.values(builtinEngineLoaders).map((load) => load()));
}
