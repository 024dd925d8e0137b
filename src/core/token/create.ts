/** `auth/token/create*`: who may create which token, following Vault's rules and texts. */
import { field, type Input } from '../../framework/fields.js';
import type { LogicalRequest, LogicalResponse } from '../../framework/logical.js';
import type { EngineContext } from '../../framework/path.js';
import { assertPoliciesAssignable, normalizePolicyName } from '../../policy/builtin.js';
import { isValidCidr } from '../cidr.js';
import { invalid } from '../errors.js';
import { authBlock } from './entry.js';
import { loadRole, type TokenRole } from './roles.js';
import type { TokenEntry, TokenStore } from './store.js';
import { refuseNegative } from './ttl.js';

export const createFields = {
  role_name: field.string('Role to create the token against.', { max: 512 }),
  id: field.string('Token value (root or sudo only).', { max: 256 }),
  policies: field.stringList('Policies of the token.'),
  meta: field.map('Metadata.'),
  no_parent: field.bool('Create an orphan (root or sudo only).'),
  no_default_policy: field.bool('Leave out the default policy.'),
  renewable: field.bool('Allow renewal.'),
  ttl: field.duration('Initial TTL.'),
  lease: field.duration('Deprecated alias of ttl.'),
  explicit_max_ttl: field.duration('Hard cap on the TTL.'),
  period: field.duration('Makes the token periodic (root or sudo only).'),
  type: field.string('service or batch.'),
  display_name: field.string('Display name.', { max: 256 }),
  num_uses: field.int('Number of uses (0 = unlimited).', { min: 0 }),
  entity_alias: field.string('Entity alias (with a role).', { max: 256 }),
};

type CreateInput = Input<typeof createFields>;

function displayName(raw: string | undefined): string {
  if (!raw) return 'token';
  return `token-${raw.replace(/[^A-Za-z0-9-]/g, '-')}`;
}

function policiesFor(
  input: CreateInput,
  parent: TokenEntry,
  role: TokenRole | undefined,
  privileged: boolean,
): string[] {
  const parentPolicies = parent.policies;
  // Vault: only a role with allowed or disallowed policies sets its own policy rules; through any
  // other role a non-sudo caller is held to a subset of its own policies, as without one.
  const governing =
    role && (role.allowedPolicies.length > 0 || role.disallowedPolicies.length > 0) ? role : undefined;
  let requested = input.policies?.length
    ? input.policies
    : governing?.allowedPolicies.length
      ? governing.allowedPolicies
      : parentPolicies.filter((p) => p !== 'root' || privileged);
  requested = [...new Set(requested.map(normalizePolicyName).filter(Boolean))];
  assertPoliciesAssignable(requested);
  if (governing) {
    const role = governing;
    if (
      role.allowedPolicies.length &&
      !requested.every((p) => p === 'default' || role.allowedPolicies.includes(p))
    ) {
      throw invalid("token policies must be subset of the role's allowed policies");
    }
    if (requested.some((p) => role.disallowedPolicies.includes(p)))
      throw invalid('token policies include disallowed policies');
  }
  const unprivileged = !governing && !parentPolicies.includes('root') && !privileged;
  // `default` is a policy like any other here: a parent without it cannot hand it out (C3).
  if (unprivileged && !requested.every((p) => parentPolicies.includes(p)))
    throw invalid('child policies must be subset of parent');
  const inherited = !governing && !input.policies?.length;
  const noDefault =
    input.no_default_policy ||
    role?.tokenNoDefaultPolicy ||
    governing?.disallowedPolicies.includes('default');
  // As Vault: an unprivileged or inheriting child gets `default` only when its parent has it.
  const addDefault = !noDefault && (!(unprivileged || inherited) || parentPolicies.includes('default'));
  if (addDefault && !requested.includes('root') && !requested.includes('default')) requested.push('default');
  if (noDefault) requested = requested.filter((p) => p !== 'default');
  return requested.sort();
}

interface CreateChecks {
  orphan: boolean;
  period: number;
  type: 'service' | 'batch';
}

/** Vault's permission and shape rules for a create request; throws its 400 texts. */
function checkCreate(
  input: CreateInput,
  parent: TokenEntry,
  role: TokenRole | undefined,
  privileged: boolean,
  orphanEndpoint: boolean,
): CreateChecks {
  if (parent.type === 'batch') throw invalid('batch tokens cannot create more tokens');
  // A limited-use token, its last use included (-1, spent by this very request), makes no children:
  // a child would outlive the limit (CVE-2019-18616).
  if (parent.numUses !== 0) throw invalid('restricted use token cannot generate child tokens');
  if (input.id !== undefined) {
    if (!privileged) throw invalid('root or sudo privileges required to specify token id');
    if (input.id === '' || input.id.includes('.')) throw invalid('token IDs can not contain a "." character');
  }
  checkDurations(input);
  const orphan = orphanEndpoint || input.no_parent === true || role?.orphan === true;
  if ((orphanEndpoint || input.no_parent) && !privileged && !role?.orphan) {
    throw invalid('root or sudo privileges required to create orphan token');
  }
  // Asking for a period takes sudo, through a role too; the role's own period needs none.
  if (input.period && !privileged) throw invalid('root or sudo privileges required to create periodic token');
  const type = tokenTypeFor(input.type, role);
  if (type !== 'service' && type !== 'batch') throw invalid(`invalid 'type' value "${type}"`);
  if (type === 'batch') checkBatch(input, role);
  const period = type === 'batch' ? 0 : lesser(input.period, role?.tokenPeriod);
  for (const cidr of role?.tokenBoundCidrs ?? [])
    if (!isValidCidr(cidr)) throw invalid(`invalid CIDR "${cidr}"`);
  return { orphan, period, type };
}

/** Vault's words; a negative TTL would otherwise read as "none given" and the token never expire. */
function checkDurations(input: CreateInput): void {
  refuseNegative(
    { ttl: input.ttl, lease: input.lease, explicit_max_ttl: input.explicit_max_ttl, period: input.period },
    (field) => `${field} must be positive`,
  );
}

/** What a batch token cannot have (Vault's texts); a limited use count would never be enforced. */
function checkBatch(input: CreateInput, role: TokenRole | undefined): void {
  const set = input.explicit_max_ttl
    ? 'explicit_max_ttl'
    : input.num_uses
      ? 'num_uses'
      : input.period
        ? 'period'
        : '';
  if (set) throw invalid(`batch tokens cannot have "${set}" set`);
  if (input.renewable === true || role?.tokenPeriod)
    throw invalid('batch tokens cannot be periodic, renewable or have an explicit max TTL');
}

/** A role's `service` or `batch` is what its tokens are; `default-*` is only the fallback for the request's. */
function tokenTypeFor(requested: string | undefined, role: TokenRole | undefined): string {
  if (role?.tokenType === 'service' || role?.tokenType === 'batch') return role.tokenType;
  return requested || (role?.tokenType === 'default-batch' ? 'batch' : 'service');
}

/** Vault's rule when both the request and the role give a period or an explicit max: the lesser. */
function lesser(requested: number | undefined, fromRole: number | undefined): number {
  if (requested && fromRole) return Math.min(requested, fromRole);
  return requested || fromRole || 0;
}

function creationPath(req: LogicalRequest, role: TokenRole | undefined): string {
  if (role) return `auth/token/create/${role.name}${role.pathSuffix ? `/${role.pathSuffix}` : ''}`;
  return req.path ? `auth/token/${req.path}` : 'auth/token/create';
}

export async function createToken(
  store: TokenStore,
  ctx: EngineContext,
  req: LogicalRequest,
  input: CreateInput,
  options: { orphanEndpoint: boolean },
): Promise<LogicalResponse> {
  const callerToken = req.caller?.clientToken;
  const parent = callerToken ? await store.lookup(callerToken) : undefined;
  if (!parent) throw invalid('parent token lookup failed');
  const privileged = req.caller?.hasSudo === true || parent.policies.includes('root');
  const role = input.role_name ? await loadRole(ctx.storage, input.role_name) : undefined;
  if (input.role_name && !role) throw invalid(`unknown role ${input.role_name}`);
  const { orphan, period, type } = checkCreate(input, parent, role, privileged, options.orphanEndpoint);
  const policies = policiesFor(input, parent, role, privileged);
  if (policies.includes('root') && !parent.policies.includes('root')) {
    throw invalid('root tokens may not be created from non-root tokens');
  }
  const ttl = input.ttl ?? input.lease ?? role?.tokenTtl;
  const explicitMaxTtl = type === 'batch' ? 0 : lesser(input.explicit_max_ttl, role?.tokenExplicitMaxTtl);
  // A root token with no TTL never expires; only a parent that never expires may make one.
  if (policies.includes('root') && !ttl && !explicitMaxTtl && !period && parent.expireTime !== undefined)
    throw invalid('expiring root tokens cannot create non-expiring root tokens');
  const warnings: string[] = [];
  if (input.explicit_max_ttl && role?.tokenExplicitMaxTtl && type !== 'batch')
    warnings.push(
      `Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxTtl} seconds`,
    );
  if (input.period && role?.tokenPeriod)
    warnings.push(
      `Period specified both during creation call and in role; using the lesser value of ${period} seconds`,
    );
  const created = await store.create({
    id: input.id,
    policies,
    meta: input.meta ?? null,
    displayName: displayName(input.display_name),
    path: creationPath(req, role),
    numUses: input.num_uses ?? role?.tokenNumUses ?? 0,
    ttl,
    explicitMaxTtl,
    period,
    // The request may turn renewal off, never on where the role has it off.
    renewable: (input.renewable ?? true) && (role?.renewable ?? true),
    type,
    // A batch child is tied to its parent as in Vault: it stops working when the parent is revoked.
    parent: orphan ? undefined : parent,
    // Vault: a child (not an orphan) acts for its parent's entity.
    entityId: orphan ? undefined : parent.entityId || undefined,
    // A child keeps its parent's network bounds; a role sets its own (Vault's rule).
    boundCidrs: role ? role.tokenBoundCidrs : orphan ? undefined : parent.boundCidrs,
    role: role?.name,
    mountDefaultTtl: role?.tokenTtl || ctx.system.defaultLeaseTtl(),
    // A role's token_max_ttl narrows the mount's maximum, never widens it (Vault's CalculateTTL).
    mountMaxTtl: role?.tokenMaxTtl
      ? Math.min(role.tokenMaxTtl, ctx.system.maxLeaseTtl())
      : ctx.system.maxLeaseTtl(),
  });
  return {
    auth: {
      policies: created.entry.policies,
      wire: authBlock(created.token, created.entry, ctx.clock.now()),
      created: true,
    },
    warnings: warnings.length + created.warnings.length ? [...warnings, ...created.warnings] : undefined,
  };
}
