/**
 * The `ldap` auth method: users log in with their directory password at `login/:username`; the
 * directory's groups and this mount's `groups/` and `users/` give their policies. Failed logins count
 * towards Vault's user lockout, and a renewal binds again and refuses when the policies changed.
 */
import { invalid } from '../../core/errors.js';
import { defineEngine } from '../../framework/engine.js';
import type { LockoutEngine, LockoutPolicy } from '../user-lockout.js';
import { UserLockout } from '../user-lockout.js';
import { defaultConfig, loadConfig } from './config.js';
import { CredentialsRejected, USER_BIND_FAILED } from './directory.js';
import { loginWithDirectory, samePolicies } from './login.js';
import { configPaths } from './paths/config.js';
import { lockoutKey, loginPaths } from './paths/login.js';
import { userGroupPaths } from './paths/users-groups.js';

export function createLdapEngine(options: { lockoutPolicy?: LockoutPolicy } = {}): LockoutEngine {
  const userLockout = new UserLockout(lockoutKey, options.lockoutPolicy);
  const engine = defineEngine({
    type: 'ldap',
    help: 'Authenticates users against an LDAP directory; groups map to policies.',
    paths: [...configPaths, ...userGroupPaths, ...loginPaths(userLockout)],
    // Vault's pathLoginRenew: bind again with the login's password and compare the policies.
    async renewLogin(ctx, login) {
      const config = (await loadConfig(ctx.storage)) ?? defaultConfig();
      const username = String(login.internalData.username ?? '');
      const password = String(login.internalData.password ?? '');
      const outcome = await loginWithDirectory(ctx.storage, config, username, password).catch((error) => {
        throw error instanceof CredentialsRejected ? invalid(USER_BIND_FAILED) : error;
      });
      if (!samePolicies([...config.token.tokenPolicies, ...outcome.policies], login.policies)) {
        throw invalid('policies have changed, not renewing');
      }
      const { tokenTtl, tokenMaxTtl, tokenPeriod } = config.token;
      return { ttlSeconds: tokenTtl, maxTtlSeconds: tokenMaxTtl, periodSeconds: tokenPeriod };
    },
  });
  return { ...engine, userLockout };
}

export const ldapEngine = createLdapEngine();
