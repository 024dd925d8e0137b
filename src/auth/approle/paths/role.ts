/** `role/`, `role/:role_name` and `role/:role_name/role-id`: AppRole role management. */
import { randomUUID } from 'node:crypto';
import { isValidCidr } from '../../../core/cidr.js';
import { invalid, notFound } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { tokenFields, tokenParamsToWire, updateTokenParams } from '../../token-fields.js';
import {
  deleteRoleRecords,
  loadRole,
  MAX_CREDENTIAL_LENGTH,
  newRole,
  normaliseRoleName,
  type RoleEntry,
  saveRole,
} from '../roles.js';
import type { SecretIds } from '../secret-ids.js';

export const roleNameField = { role_name: field.name('Name of the role (case-insensitive).') };
const roleIdField = {
  role_id: field.string('Identifier of the role; a UUID is made when none is given.', {
    max: MAX_CREDENTIAL_LENGTH,
  }),
};

export const roleFields = {
  ...roleNameField,
  ...roleIdField,
  ...tokenFields,
  bind_secret_id: field.bool('Require a secret_id at login.', { default: true }),
  secret_id_bound_cidrs: field.stringList('CIDRs a login with this role may come from.'),
  bound_cidr_list: field.stringList('Deprecated: use secret_id_bound_cidrs.'),
  secret_id_num_uses: field.int('Logins per secret ID (0 = unlimited).', { min: 0 }),
  secret_id_ttl: field.duration('Lifetime of secret IDs (0 = no expiry, capped at the mount max TTL).'),
  local_secret_ids: field.bool('Secret IDs are local to this cluster; fixed at creation.'),
  period: field.duration('Deprecated: use token_period.'),
};

export type RoleInput = Input<typeof roleFields>;

export function roleToWire(role: RoleEntry): Record<string, unknown> {
  return {
    bind_secret_id: role.bindSecretId,
    local_secret_ids: role.localSecretIds,
    secret_id_bound_cidrs: role.secretIdBoundCidrs,
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    ...tokenParamsToWire(role.token),
  };
}

function checkCidrs(cidrs: string[]): string[] {
  if (!cidrs.every(isValidCidr)) throw invalid('invalid CIDR blocks');
  return cidrs;
}

/** Applies a role write (the full one or a one-setting endpoint's) over `role` and checks the result. */
export function applyRoleInput(role: RoleEntry, input: Partial<RoleInput>, creating: boolean): RoleEntry {
  if (input.token_period !== undefined && input.period !== undefined)
    throw invalid('"token_period" and "period" cannot both be supplied');
  const next: RoleEntry = {
    ...role,
    token: updateTokenParams(role.token, { ...input, token_period: input.token_period ?? input.period }),
  };
  if (input.local_secret_ids !== undefined) {
    if (!creating) throw invalid('local_secret_ids can only be modified during role creation');
    next.localSecretIds = input.local_secret_ids;
  }
  if (input.bind_secret_id !== undefined) next.bindSecretId = input.bind_secret_id;
  const boundCidrs = input.secret_id_bound_cidrs ?? input.bound_cidr_list;
  if (boundCidrs !== undefined) next.secretIdBoundCidrs = checkCidrs(boundCidrs);
  if (input.secret_id_num_uses !== undefined) next.secretIdNumUses = input.secret_id_num_uses;
  if (input.secret_id_ttl !== undefined) {
    if (input.secret_id_ttl < 0) throw invalid('"secret_id_ttl" cannot be negative');
    next.secretIdTtl = input.secret_id_ttl;
  }
  if (input.role_id !== undefined) next.roleId = input.role_id;
  else if (creating) next.roleId = randomUUID();
  if (next.roleId === '') throw invalid('invalid role_id supplied, or failed to generate a role_id');
  // Without any of these a role would hand out tokens to anyone who knows its role ID.
  if (!next.bindSecretId && !next.secretIdBoundCidrs.length && !next.token.tokenBoundCidrs.length)
    throw invalid('at least one constraint should be enabled on the role');
  return next;
}

/** Role changes of one mount run one at a time: role IDs must stay unique across roles. */
export function serialiseRoleWrites<T>(roleLocks: KeyedMutex, ctx: EngineContext, fn: () => Promise<T>) {
  return roleLocks.run(`${ctx.system.mountUuid}/roles`, fn);
}

export function rolePaths(roleLocks: KeyedMutex, secretIds: SecretIds) {
  const serialise = <T>(ctx: EngineContext, fn: () => Promise<T>) => serialiseRoleWrites(roleLocks, ctx, fn);

  const writeRole = (creating: boolean) => (ctx: EngineContext, input: RoleInput) =>
    serialise(ctx, async (): Promise<LogicalResponse | undefined> => {
      const existing = await loadRole(ctx.storage, input.role_name!);
      const role = applyRoleInput(existing ?? newRole(input.role_name!), input, !existing && creating);
      await saveRole(ctx.storage, role, existing?.roleId);
      if (role.token.tokenMaxTtl > ctx.system.maxLeaseTtl()) {
        return {
          warnings: [
            "token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
          ],
        };
      }
    });

  return [
    definePath({
      pattern: 'role/',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('role/') } }) },
      help: 'List the roles.',
    }),
    definePath({
      pattern: 'role/:role_name',
      fields: roleFields,
      exists: (ctx, input) => ctx.storage.has(`role/${normaliseRoleName(input.role_name!)}`),
      operations: {
        read: async (ctx, input) => {
          const role = await loadRole(ctx.storage, input.role_name!);
          return role && { data: roleToWire(role) };
        },
        create: writeRole(true),
        update: writeRole(false),
        delete: (ctx, input) =>
          serialise(ctx, async () => {
            const role = await loadRole(ctx.storage, input.role_name!);
            if (!role) return;
            await secretIds.flush(ctx, role);
            await deleteRoleRecords(ctx.storage, role);
          }),
      },
      help: 'Create, read, update or delete a role: the constraints on its secret IDs and the tokens it issues.',
    }),
    definePath({
      pattern: 'role/:role_name/role-id',
      fields: { ...roleNameField, ...roleIdField },
      operations: {
        read: async (ctx, input) => {
          const role = await loadRole(ctx.storage, input.role_name!);
          return role && { data: { role_id: role.roleId } };
        },
        update: (ctx, input) =>
          serialise(ctx, async () => {
            const role = await loadRole(ctx.storage, input.role_name!);
            // Vault's ErrUnsupportedPath for a role that is not there, before it looks at the body.
            if (!role) throw notFound('unsupported path');
            if (!input.role_id) throw invalid('missing role_id');
            await saveRole(ctx.storage, { ...role, roleId: input.role_id }, role.roleId);
          }),
      },
      help: "Read the role's role ID, or set a custom one.",
    }),
  ];
}
