/**
 * The `jwt` auth method (also mounted as `oidc`): logs in with JWTs verified against PEM keys, a
 * JWKS URL or OIDC discovery. The OIDC browser flow (auth_url/callback) is not implemented.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { renewByTokenParams } from '../token-fields.js';
import { loadConfig } from './config.js';
import { KeyResolverCache } from './key-set.js';
import { configPaths } from './paths/config.js';
import { loginPaths } from './paths/login.js';
import { rolePaths } from './paths/role.js';
import { loadRole } from './role.js';

export function createJwtEngine(type: 'jwt' | 'oidc'): Engine {
  // One engine serves every mount of its type, so remote key sets are cached per mount.
  const resolvers = new KeyResolverCache();
  return defineEngine({
    type,
    help: 'Authenticates JWTs and OIDC ID tokens signed by a configured issuer.',
    paths: [...configPaths(resolvers), ...rolePaths, ...loginPaths(resolvers)],
    async cleanup(ctx) {
      resolvers.forget(ctx.system.mountUuid);
    },
    renewLogin: renewByTokenParams(loadRole, 'role'),
    // As login names it: the `role` field, else the config's default_role.
    async resolveRole(ctx, data) {
      const given = typeof data.role === 'string' ? data.role : '';
      const name = (given || (await loadConfig(ctx.storage))?.defaultRole || '').toLowerCase();
      return name && (await loadRole(ctx.storage, name)) ? name : undefined;
    },
  });
}

export const jwtEngine = createJwtEngine('jwt');
export const oidcEngine = createJwtEngine('oidc');
