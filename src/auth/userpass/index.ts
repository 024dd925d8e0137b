/**
 * The `userpass` auth method: users with a scrypt-hashed password log in at `login/:username` and
 * get a token with their token_* settings. Failed logins count towards Vault's user lockout.
 */
import { defineEngine } from '../../framework/engine.js';
import { renewByTokenParams } from '../token-fields.js';
import { type LockoutEngine, type LockoutPolicy, UserLockout } from '../user-lockout.js';
import { createScryptHasher, type PasswordHasher } from './password-hash.js';
import { loginPaths } from './paths/login.js';
import { userPaths } from './paths/users.js';
import { loadUser, normaliseUsername } from './users.js';

export interface UserpassOptions {
  hasher?: PasswordHasher;
  lockoutPolicy?: LockoutPolicy;
}

export function createUserpassEngine(options: UserpassOptions = {}): LockoutEngine {
  const hasher = options.hasher ?? createScryptHasher();
  const userLockout = new UserLockout(normaliseUsername, options.lockoutPolicy);
  const engine = defineEngine({
    type: 'userpass',
    help: 'Authenticates users with a username and password.',
    paths: [...userPaths(hasher), ...loginPaths(hasher, userLockout)],
    renewLogin: renewByTokenParams(loadUser, 'username', 'user'),
    async initialize() {
      // The dummy hash is made before the first login, so an unknown user's first attempt is not slower.
      await hasher.dummy();
    },
  });
  return { ...engine, userLockout };
}

export const userpassEngine = createUserpassEngine();
