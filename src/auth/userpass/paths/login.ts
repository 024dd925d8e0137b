/**
 * `login/:username`: password login. An unknown user, a wrong password and a locked user get the
 * same 400 and the same text, and every path runs exactly one password verification, so neither the
 * body nor the timing tells an attacker which names exist (CVE-2025-6011, CVE-2020-35177).
 */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import type { LogicalRequest, LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { authFromTokenParams, checkLoginCidrs } from '../../token-fields.js';
import type { UserLockout } from '../../user-lockout.js';
import type { PasswordHasher } from '../password-hash.js';
import { isStorableUsername, loadUser, normaliseUsername } from '../users.js';

export const INVALID_CREDENTIALS = 'invalid username or password';

const passwordField = {
  password: field.string('Password of the user.', { max: 4096 }),
};
// Any length is accepted here (the URL already bounds it): an over-long name is an unknown user,
// not a distinct validation error that would read differently from a wrong password.
const loginFields = { username: field.string('Username.'), ...passwordField };

export function loginPaths(hasher: PasswordHasher, lockout: UserLockout) {
  async function login(
    ctx: EngineContext,
    rawUsername: string,
    password: string | undefined,
    req: LogicalRequest,
  ): Promise<LogicalResponse> {
    if (!password) throw invalid('missing password');
    const name = normaliseUsername(rawUsername);
    const user = isStorableUsername(name) ? await loadUser(ctx.storage, name) : undefined;
    if (!user) {
      await hasher.verify(password, await hasher.dummy());
      throw invalid(INVALID_CREDENTIALS);
    }
    const outcome = await lockout.attempt(ctx, name, () => hasher.verify(password, user.passwordHash));
    if (outcome !== 'ok') throw invalid(INVALID_CREDENTIALS);
    checkLoginCidrs(user.token, req);
    return {
      auth: authFromTokenParams(user.token, {
        // core prefixes the mount path: the token's display name reads `userpass-<name>`.
        displayName: name,
        metadata: { username: name },
        alias: { name },
        internalData: { username: name },
      }),
    };
  }

  return [
    definePath({
      pattern: 'login/:username',
      fields: loginFields,
      unauthenticated: true,
      operations: { update: (ctx, input, req) => login(ctx, input.username ?? '', input.password, req) },
      help: 'Log in with a username and password.',
    }),
    definePath({
      // `login/` with no name answers exactly like a wrong password rather than 404.
      pattern: 'login/',
      fields: passwordField,
      unauthenticated: true,
      operations: { update: (ctx, input, req) => login(ctx, '', input.password, req) },
      help: 'Log in with a username and password.',
    }),
  ];
}
