/**
 * The `jwt` auth method (also mounted as `oidc`): logs in with JWTs verified against PEM keys, a
 * JWKS URL or OIDC discovery. The OIDC browser flow (auth_url/callback) is not implemented.
 */
import { invalid } from '../../core/errors.js';
import { defineEngine, type Engine } from '../../framework/engine.js';
import { renewalFromTokenParams } from '../token-fields.js';
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
    // Vault's pathLoginRenew: the role must still exist, and its current token settings apply.
    async renewLogin(ctx, login) {
      const name = String(login.internalData.role ?? '');
      const role = await loadRole(ctx.storage, name);
      if (!role) throw invalid(`role "${name}" does not exist during renewal`);
      return renewalFromTokenParams(role.token);
    },
  });
}

export const jwtEngine = createJwtEngine('jwt');
export const oidcEngine = createJwtEngine('oidc');
