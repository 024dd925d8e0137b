/**
 * `login/:username`: bind to the directory as the user. A wrong password and an unknown user get
 * the same 400 and text (CVE-2020-35177, CVE-2023-3462); so does a locked-out user, who is refused
 * before the directory is asked. The lockout counter is keyed on the normalised name (see lockoutKey), so
 * `Alice`, ` alice `, `ALICE` and `ａｌｉｃｅ` share one (CVE-2025-6004). Neither the name nor the password is
 * logged or put in an error.
 */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import type { LogicalRequest, LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { authFromTokenParams, checkLoginCidrs } from '../../token-fields.js';
import type { UserLockout } from '../../user-lockout.js';
import { canonicalName, defaultConfig, loadConfig } from '../config.js';
import { CredentialsRejected, USER_BIND_FAILED } from '../directory.js';
import { type LoginOutcome, loginWithDirectory, NULL_BIND_DENIED } from '../login.js';
import { parsePolicies } from './users-groups.js';

/**
 * Characters RFC 4518 (§2.2) maps to nothing when a directory compares names: controls, the soft
 * hyphen, zero-width characters, variation selectors, the byte-order mark.
 */
const MAPPED_TO_NOTHING: readonly (readonly [number, number])[] = [
  [0x0000, 0x0008],
  [0x000e, 0x001f],
  [0x007f, 0x0084],
  [0x0086, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180e],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xfffc, 0xfffc],
];

function mappedToNothing(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return MAPPED_TO_NOTHING.some(([low, high]) => code >= low && code <= high);
}

/**
 * The one spelling of a login name for lockout: every spelling the directory takes for the same
 * entry must share it, or each spelling gets its own five guesses. A directory compares names with
 * compatibility normalisation (`ａｌｉｃｅ` binds as `alice`), case folding and insignificant spaces
 * (`john  smith` finds `john smith`), so the key is NFKC, case-folded, without the characters mapped
 * to nothing, with each run of spaces as one space, and trimmed.
 */
export function lockoutKey(username: string): string {
  const folded = username.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  return [...folded]
    .filter((char) => !mappedToNothing(char))
    .join('')
    .replace(/[\s\u0085]+/gu, ' ')
    .trim();
}

const passwordField = { password: field.string('Password of the user.', { max: 4096 }) };
// Any length is accepted here (the URL bounds it): an over-long name gets the wrong-password answer,
// not a validation error that reads differently.
const loginFields = { username: field.string('Login name of the user.'), ...passwordField };
const MAX_USERNAME = 1024;

async function login(
  ctx: EngineContext,
  lockout: UserLockout,
  rawUsername: string,
  password: string,
  req: LogicalRequest,
): Promise<LogicalResponse> {
  const config = (await loadConfig(ctx.storage)) ?? defaultConfig();
  checkLoginCidrs(config.token, req);
  if (config.denyNullBind && password === '') throw invalid(NULL_BIND_DENIED);
  const username = rawUsername.trim();
  if (username === '' || username.length > MAX_USERNAME) throw invalid(USER_BIND_FAILED);
  let outcome: LoginOutcome | undefined;
  const verify = async () => {
    try {
      outcome = await loginWithDirectory(ctx.storage, config, username, password);
      return true;
    } catch (error) {
      if (error instanceof CredentialsRejected) return false;
      throw error;
    }
  };
  // A locked name is refused without asking the directory, so guesses cannot reach its own lockout.
  const result = await lockout.attempt(ctx, lockoutKey(username), verify, { verifyWhenLocked: false });
  if (result !== 'ok' || !outcome) throw invalid(USER_BIND_FAILED);
  const alias = config.usernameAsAlias ? canonicalName(config, username) : outcome.aliasName;
  if (!alias) throw invalid('missing entity alias attribute value');
  const auth = authFromTokenParams(config.token, {
    // core prefixes the mount path: the token's display name reads `ldap-<name>`.
    displayName: username,
    metadata: { username },
    alias: { name: alias },
    // Vault keeps the password so a renewal can bind again and see the user's current groups.
    internalData: { username, password },
    policies: parsePolicies([...config.token.tokenPolicies, ...outcome.policies]),
  });
  // Vault warns when the directory found no group, whatever groups `users/` adds.
  const warnings = outcome.directoryGroups
    ? undefined
    : [
        `no LDAP groups found in groupDN '${config.groupDn}'; only policies from locally-defined groups available`,
      ];
  return { auth, ...(warnings ? { warnings } : {}) };
}

export function loginPaths(lockout: UserLockout) {
  return [
    definePath({
      // Vault's login/(?P<username>.+): a name may hold a slash (cn=Smith/John).
      pattern: 'login/*username',
      fields: loginFields,
      unauthenticated: true,
      operations: {
        update: (ctx, input, req) => login(ctx, lockout, input.username ?? '', input.password ?? '', req),
      },
      help: 'Log in with an LDAP username and password.',
    }),
    definePath({
      // `login/` with no name answers like a wrong password rather than 404.
      pattern: 'login/',
      fields: passwordField,
      unauthenticated: true,
      operations: { update: (ctx, input, req) => login(ctx, lockout, '', input.password ?? '', req) },
      help: 'Log in with an LDAP username and password.',
    }),
  ];
}
