/** Token roles (`auth/token/roles/:role_name`): shapes what `create/:role_name` may issue. */
import { field } from '../../framework/fields.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import { definePath } from '../../framework/path.js';
import type { StorageView } from '../../framework/storage-view.js';
import { invalid } from '../errors.js';
import { refuseNegative } from './ttl.js';

export interface TokenRole {
  name: string;
  allowedPolicies: string[];
  disallowedPolicies: string[];
  orphan: boolean;
  renewable: boolean;
  pathSuffix: string;
  tokenType: string;
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenNumUses: number;
  tokenNoDefaultPolicy: boolean;
  tokenBoundCidrs: string[];
}

export const roleFields = {
  role_name: field.name('Name of the role.'),
  allowed_policies: field.stringList('Policies tokens of this role may have.'),
  disallowed_policies: field.stringList('Policies tokens of this role may not have.'),
  orphan: field.bool('Tokens have no parent.'),
  renewable: field.bool('Tokens can be renewed.', { default: true }),
  path_suffix: field.string('Suffix appended to the creation path.', { max: 256 }),
  token_type: field.string('service, batch, default-service or default-batch.', {
    default: 'default-service',
  }),
  token_ttl: field.duration('Default TTL of the tokens.'),
  token_max_ttl: field.duration('Maximum TTL of the tokens.'),
  token_explicit_max_ttl: field.duration('Hard TTL cap that renewals cannot pass.'),
  token_period: field.duration('Makes tokens periodic.'),
  token_num_uses: field.int('Uses per token (0 = unlimited).', { min: 0 }),
  token_no_default_policy: field.bool('Leave out the default policy.'),
  token_bound_cidrs: field.stringList('CIDRs the tokens may be used from.'),
};

function toWire(role: TokenRole) {
  return {
    name: role.name,
    allowed_policies: role.allowedPolicies,
    disallowed_policies: role.disallowedPolicies,
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.pathSuffix,
    token_type: role.tokenType,
    token_ttl: role.tokenTtl,
    token_max_ttl: role.tokenMaxTtl,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_period: role.tokenPeriod,
    token_num_uses: role.tokenNumUses,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_bound_cidrs: role.tokenBoundCidrs,
  };
}

export function loadRole(storage: StorageView, name: string): MaybePromise<TokenRole | undefined> {
  return storage.getJson<TokenRole>(`role/${name.toLowerCase()}`);
}

export function rolePaths() {
  return [
    definePath({
      pattern: 'roles/',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('role/') } }) },
      help: 'List token roles.',
    }),
    definePath({
      pattern: 'roles/:role_name',
      fields: roleFields,
      exists: async (ctx, input) => ctx.storage.has(`role/${input.role_name!.toLowerCase()}`),
      operations: {
        read: async (ctx, input) => {
          const role = await loadRole(ctx.storage, input.role_name!);
          return role && { data: toWire(role) };
        },
        create: async (ctx, input) => writeRole(ctx.storage, input, undefined),
        update: async (ctx, input) =>
          writeRole(ctx.storage, input, await loadRole(ctx.storage, input.role_name!)),
        delete: async (ctx, input) => ctx.storage.delete(`role/${input.role_name!.toLowerCase()}`),
      },
      help: 'Manage a token role.',
    }),
  ];
}

type RoleInput = { [K in keyof typeof roleFields]?: unknown };

async function writeRole(storage: StorageView, input: RoleInput, existing: TokenRole | undefined) {
  const name = String(input.role_name).toLowerCase();
  const pick = <T>(value: unknown, fallback: T): T => (value === undefined ? fallback : (value as T));
  const role: TokenRole = {
    name,
    allowedPolicies: pick(input.allowed_policies, existing?.allowedPolicies ?? []),
    disallowedPolicies: pick(input.disallowed_policies, existing?.disallowedPolicies ?? []),
    orphan: pick(input.orphan, existing?.orphan ?? false),
    renewable: pick(input.renewable, existing?.renewable ?? true),
    pathSuffix: pick(input.path_suffix, existing?.pathSuffix ?? ''),
    tokenType: pick(input.token_type, existing?.tokenType ?? 'default-service'),
    tokenTtl: pick(input.token_ttl, existing?.tokenTtl ?? 0),
    tokenMaxTtl: pick(input.token_max_ttl, existing?.tokenMaxTtl ?? 0),
    tokenExplicitMaxTtl: pick(input.token_explicit_max_ttl, existing?.tokenExplicitMaxTtl ?? 0),
    tokenPeriod: pick(input.token_period, existing?.tokenPeriod ?? 0),
    tokenNumUses: pick(input.token_num_uses, existing?.tokenNumUses ?? 0),
    tokenNoDefaultPolicy: pick(input.token_no_default_policy, existing?.tokenNoDefaultPolicy ?? false),
    tokenBoundCidrs: pick(input.token_bound_cidrs, existing?.tokenBoundCidrs ?? []),
  };
  if (!['service', 'batch', 'default-service', 'default-batch'].includes(role.tokenType))
    throw invalid('invalid token_type');
  // Vault's tokenutil words; a role with a negative TTL could only ever answer "ttl must be positive".
  refuseNegative(
    {
      token_ttl: role.tokenTtl,
      token_max_ttl: role.tokenMaxTtl,
      token_explicit_max_ttl: role.tokenExplicitMaxTtl,
      token_period: role.tokenPeriod,
    },
    (field) => `'${field}' cannot be negative`,
  );
  if (role.tokenType === 'batch') {
    if (role.tokenPeriod)
      throw invalid("'token_type' cannot be 'batch' when role is set to generate periodic tokens");
    if (role.renewable)
      throw invalid("'token_type' cannot be 'batch' when role is set to generate renewable tokens");
    if (!role.orphan)
      throw invalid("'token_type' cannot be 'batch' when role is set to generate non-orphan tokens");
    if (role.tokenExplicitMaxTtl)
      throw invalid(
        "'token_type' cannot be 'batch' when role is set to generate tokens with an explicit max TTL",
      );
  }
  await storage.putJson(`role/${name}`, role);
}
