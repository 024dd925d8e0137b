/** The built-in policies (`root`, `default`, the internal `response-wrapping`) and the rules on reserved names. */
import { invalid } from '../core/errors.js';
import type { Policy } from './parse.js';

export const ROOT_POLICY_NAME = 'root';
export const DEFAULT_POLICY_NAME = 'default';
export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';
/** Vault Enterprise's internal policy for control-group tokens; reserved here so no one can take the name. */
const CONTROL_GROUP_POLICY_NAME = 'control-group';

/** `root` has no rules: the ACL recognises it by name and allows everything. */
export const ROOT_POLICY: Policy = Object.freeze({ name: ROOT_POLICY_NAME, rules: [] });

export const DEFAULT_POLICY = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Allow looking up lease properties
path "sys/leases/lookup" {
  capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given response-wrapping token
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
  capabilities = ["update"]
}
path "sys/tools/hash/*" {
  capabilities = ["update"]
}

# Allow checking the status of a control group request if the user has the accessor
path "sys/control-group/request" {
  capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers
path "identity/oidc/provider/+/authorize" {
  capabilities = ["read", "update"]
}
`;

export const RESPONSE_WRAPPING_POLICY = `path "cubbyhole/response" {
  capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
`;

/** Policies nobody may write (policy_store.go immutablePolicies). */
const IMMUTABLE = new Set([ROOT_POLICY_NAME, RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME]);
/** Policies no token, entity or group may carry (policy_store.go nonAssignablePolicies). */
const NOT_ASSIGNABLE = new Set([RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME]);

/**
 * Policy names are trimmed and lower-cased before anything else (policy_store.go sanitizeName), so
 * `Root`, ` root` and `ROOT` all name the reserved `root` policy (CVE-2025-5999).
 */
export function normalizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

/** The warning Vault adds when it had to change the name it was given, else undefined. */
export function policyNameWarning(name: string): string | undefined {
  const normalized = normalizePolicyName(name);
  return normalized === name ? undefined : `policy name was converted to ${normalized}`;
}

/** Throws Vault's 400 when the (normalized) policy may not be created or updated. */
export function assertPolicyWritable(name: string): void {
  const normalized = normalizePolicyName(name);
  if (IMMUTABLE.has(normalized)) throw invalid(`cannot update "${normalized}" policy`);
}

/** Throws Vault's 400 when the (normalized) policy may not be deleted. */
export function assertPolicyDeletable(name: string): void {
  const normalized = normalizePolicyName(name);
  if (normalized === DEFAULT_POLICY_NAME) throw invalid('cannot delete default policy');
  if (IMMUTABLE.has(normalized)) throw invalid(`cannot delete "${normalized}" policy`);
}

/** Throws Vault's 400 for a policy list that names an internal policy (token create, roles, identity). */
export function assertPoliciesAssignable(names: readonly string[]): void {
  for (const name of names.map(normalizePolicyName)) {
    if (NOT_ASSIGNABLE.has(name)) throw invalid(`cannot assign policy "${name}"`);
  }
}

/** The text of a built-in policy Coffer ships, for seeding storage or reading the internal ones. */
export function builtinPolicyText(name: string): string | undefined {
  const normalized = normalizePolicyName(name);
  if (normalized === DEFAULT_POLICY_NAME) return DEFAULT_POLICY;
  if (normalized === RESPONSE_WRAPPING_POLICY_NAME) return RESPONSE_WRAPPING_POLICY;
  return undefined;
}
