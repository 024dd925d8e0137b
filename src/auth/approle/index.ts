/**
 * The `approle` auth method: machines log in with a role ID and a secret ID issued for the role and
 * get a token with the role's token_* settings. Secret IDs are stored only as HMACs.
 */
import { defineEngine } from '../../framework/engine.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import { renewByTokenParams } from '../token-fields.js';
import { type LockoutEngine, UserLockout } from '../user-lockout.js';
import { loginPaths } from './paths/login.js';
import { rolePaths } from './paths/role.js';
import { roleSettingPaths } from './paths/role-settings.js';
import { secretIdPaths } from './paths/secret-id.js';
import { tidyPaths } from './paths/tidy.js';
import { loadRole, mountSalt, roleByRoleId } from './roles.js';
import { SecretIds } from './secret-ids.js';

export function createApproleEngine(): LockoutEngine {
  const secretIds = new SecretIds(new KeyedMutex());
  const roleLocks = new KeyedMutex();
  // Keyed on the role ID exactly as sent: role IDs are case-sensitive.
  const userLockout = new UserLockout();
  const engine = defineEngine({
    type: 'approle',
    help: 'Authenticates machines and applications with a role ID and a secret ID.',
    paths: [
      ...rolePaths(roleLocks, secretIds),
      ...roleSettingPaths(roleLocks),
      ...secretIdPaths(secretIds),
      ...tidyPaths(secretIds),
      ...loginPaths(secretIds, userLockout),
    ],
    renewLogin: renewByTokenParams(loadRole, 'role_name'),
    // Vault maps the login's role_id to the role's name.
    async resolveRole(ctx, data) {
      const roleId = typeof data.role_id === 'string' ? data.role_id.trim() : '';
      return roleId ? (await roleByRoleId(ctx.storage, roleId))?.name : undefined;
    },
    async initialize(ctx) {
      // Made here, before any request, so two first requests cannot race to create different salts.
      await mountSalt(ctx.storage);
    },
  });
  return { ...engine, userLockout };
}

export const approleEngine = createApproleEngine();
