import { invalid } from '../../../core/errors.js';
import type { DeepReadonly } from '../../../framework/deep-freeze.js';
import { field } from '../../../framework/fields.js';
import type { LogicalRequest, LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import {
  authFromTokenParams,
  checkLoginCidrs,
  requireAddressIn,
  type TokenParams,
} from '../../token-fields.js';
import type { UserLockout } from '../../user-lockout.js';
import { MAX_CREDENTIAL_LENGTH, type RoleView, roleByRoleId } from '../roles.js';
import type { SecretIdEntry, SecretIds } from '../secret-ids.js';

export const INVALID_CREDENTIALS = 'invalid role or secret ID';

/** Vault's 400 for a login from outside a role's secret_id_bound_cidrs or a secret ID's cidr_list. */
const outsideCidrs = (what: 'role' | 'secret ID') => (address: string) =>
  invalid(`source address "${address}" unauthorized by CIDR restrictions on the ${what}`);

const loginFields = {
  role_id: field.string('Role ID of the role.', { max: MAX_CREDENTIAL_LENGTH }),
  secret_id: field.string('A secret ID of the role.', { max: MAX_CREDENTIAL_LENGTH }),
};

/** The token settings of this login: a secret ID's own token_bound_cidrs replace the role's. */
function tokenParamsFor(
  role: RoleView,
  entry: DeepReadonly<SecretIdEntry> | undefined,
): DeepReadonly<TokenParams> {
  return entry?.tokenBoundCidrs.length
    ? { ...role.token, tokenBoundCidrs: entry.tokenBoundCidrs }
    : role.token;
}

export function loginPaths(secretIds: SecretIds, lockout: UserLockout) {
  async function login(
    ctx: EngineContext,
    input: { role_id?: string; secret_id?: string },
    req: LogicalRequest,
  ): Promise<LogicalResponse> {
    const roleId = (input.role_id ?? '').trim();
    if (!roleId) throw invalid('missing role_id');
    const role = await roleByRoleId(ctx.storage, roleId);
    if (!role) throw invalid(INVALID_CREDENTIALS);
    requireAddressIn(role.secretIdBoundCidrs, req, outsideCidrs('role'));
    let entry: DeepReadonly<SecretIdEntry> | undefined;
    if (role.bindSecretId) {
      const secretId = (input.secret_id ?? '').trim();
      if (!secretId) throw invalid('missing secret_id');
      // User lockout keyed on the role ID, as Vault's: only a secret ID that does not match counts.
      // A locked role is refused before its secret ID is checked, so no use of it is spent.
      const outcome = await lockout.attempt(
        ctx,
        roleId,
        async () => {
          entry = await secretIds.consume(ctx, role, secretId, (found) => {
            requireAddressIn(found.cidrList, req, outsideCidrs('secret ID'));
            checkLoginCidrs(tokenParamsFor(role, found), req);
          });
          return entry !== undefined;
        },
        { verifyWhenLocked: false },
      );
      // Locked answers like a wrong secret ID, as userpass does (README): no hint that the role exists.
      if (outcome !== 'ok' || !entry) throw invalid(INVALID_CREDENTIALS);
    } else {
      checkLoginCidrs(role.token, req);
    }
    const metadata = { ...entry?.metadata, role_name: role.name };
    return {
      auth: authFromTokenParams(tokenParamsFor(role, entry), {
        metadata,
        alias: { name: role.roleId, metadata },
        internalData: { role_name: role.name },
      }),
    };
  }

  return [
    definePath({
      pattern: 'login',
      fields: loginFields,
      unauthenticated: true,
      operations: { update: login },
      help: 'Log in with a role ID and a secret ID.',
    }),
  ];
}
