/** A JWT role: what a token must prove (bindings) and what the minted Coffer token looks like. */
import { invalid } from '../../core/errors.js';
import { field, type Input } from '../../framework/fields.js';
import { roleStore } from '../role-store.js';
import {
  defaultTokenParams,
  type TokenParams,
  tokenFields,
  tokenParamsToWire,
  updateTokenParams,
} from '../token-fields.js';
import { type BoundClaims, parseBoundClaims } from './claims.js';

export interface JwtRole {
  /** "oidc" when a write leaves it out, on update too (Vault); only "jwt" roles log in with a bearer JWT. */
  roleType: 'jwt' | 'oidc';
  boundAudiences: string[];
  boundSubject: string;
  boundClaimsType: 'string' | 'glob';
  boundClaims: BoundClaims;
  claimMappings: Record<string, string>;
  userClaim: string;
  userClaimJsonPointer: boolean;
  groupsClaim: string;
  clockSkewLeeway: number;
  expirationLeeway: number;
  notBeforeLeeway: number;
  token: TokenParams;
  /** OIDC browser-flow settings: stored and read back for Vault clients, unused (no browser flow). */
  allowedRedirectUris?: string[];
  oidcScopes?: string[];
}

const CLAIM_NAME_MAX = 1024;

export const roleFields = {
  name: field.name('Name of the role.'),
  role_type: field.string('"oidc" (the default, on update too) or "jwt"; only jwt roles log in with a JWT.', {
    max: 16,
  }),
  bound_audiences: field.stringList('Audiences (aud) valid for login; any match is enough.'),
  bound_subject: field.string('The sub claim valid for login.', { max: CLAIM_NAME_MAX }),
  bound_claims_type: field.string('How bound_claims values match: "string" (exact) or "glob" (`*`).', {
    default: 'string',
    max: 16,
  }),
  bound_claims: field.object('Claims and the values (a value or a list, any matches) required for login.'),
  claim_mappings: field.kvPairs('Claims (key) copied into token metadata (value).'),
  user_claim: field.string('Claim whose value names the user (alias name, display name).', {
    max: CLAIM_NAME_MAX,
  }),
  user_claim_json_pointer: field.bool('Read user_claim as a JSON pointer.'),
  groups_claim: field.string('Claim that lists the groups.', { max: CLAIM_NAME_MAX }),
  clock_skew_leeway: field.duration('Leeway on every time claim; 0 means 60s, -1 none.', { default: 60 }),
  expiration_leeway: field.duration('Leeway used to derive a missing exp; 0 means 150s, -1 none.', {
    default: 150,
  }),
  not_before_leeway: field.duration('Leeway used to derive a missing nbf; 0 means 150s, -1 none.', {
    default: 150,
  }),
  allowed_redirect_uris: field.stringList('Redirect URIs an oidc role allows (stored; no browser flow).'),
  oidc_scopes: field.stringList('Scopes an oidc role requests (stored; no browser flow).'),
  ...tokenFields,
};

export type RoleInput = Input<typeof roleFields>;

export const { loadRole, readRole, saveRole, deleteRole, listRoles } = roleStore<JwtRole>();

function emptyRole(): JwtRole {
  return {
    roleType: 'oidc',
    boundAudiences: [],
    boundSubject: '',
    boundClaimsType: 'string',
    boundClaims: {},
    claimMappings: {},
    userClaim: '',
    userClaimJsonPointer: false,
    groupsClaim: '',
    clockSkewLeeway: 60,
    expirationLeeway: 150,
    notBeforeLeeway: 150,
    token: defaultTokenParams(),
  };
}

function parseRoleType(roleType: string): 'jwt' | 'oidc' {
  if (roleType === 'jwt' || roleType === 'oidc') return roleType;
  throw invalid(`invalid 'role_type': ${roleType}`);
}

function checkClaimMappings(mappings: Record<string, string>): void {
  const targets = new Set<string>();
  for (const target of Object.values(mappings)) {
    // "role" is set by the login itself; a claim must not be able to overwrite it.
    if (target === 'role')
      throw invalid(`metadata key "${target}" is reserved and may not be a mapping destination`);
    if (targets.has(target)) throw invalid(`multiple keys are mapped to metadata key "${target}"`);
    targets.add(target);
  }
}

/** Applies the fields present over `existing` (or a new role) and validates the result. */
export function applyRoleInput(existing: JwtRole | undefined, input: RoleInput): JwtRole {
  const role: JwtRole = { ...(existing ?? emptyRole()) };
  // Vault reads role_type on every write and takes "" as "oidc": an update that omits it turns a jwt
  // role into an oidc one (refused below unless it has redirect URIs). Clients must resend role_type=jwt.
  role.roleType = parseRoleType(input.role_type || 'oidc');
  role.token = updateTokenParams(role.token, input);
  // Likewise bound_claims_type: Vault reads it with its default on every write, so an update that
  // omits it makes a glob role match exactly again (stricter, never looser).
  const claimsType = input.bound_claims_type ?? 'string';
  if (claimsType !== 'string' && claimsType !== 'glob')
    throw invalid(`invalid 'bound_claims_type': ${claimsType}`);
  role.boundClaimsType = claimsType;
  if (input.bound_claims !== undefined)
    role.boundClaims = parseBoundClaims(input.bound_claims, role.boundClaimsType);
  else parseBoundClaims(role.boundClaims, role.boundClaimsType); // a type change must still fit the stored claims
  if (input.claim_mappings !== undefined) {
    checkClaimMappings(input.claim_mappings);
    role.claimMappings = input.claim_mappings;
  }
  if (input.bound_audiences !== undefined) role.boundAudiences = input.bound_audiences;
  if (input.bound_subject !== undefined) role.boundSubject = input.bound_subject;
  if (input.user_claim !== undefined) role.userClaim = input.user_claim;
  if (input.user_claim_json_pointer !== undefined) role.userClaimJsonPointer = input.user_claim_json_pointer;
  if (input.groups_claim !== undefined) role.groupsClaim = input.groups_claim;
  if (input.clock_skew_leeway !== undefined) role.clockSkewLeeway = input.clock_skew_leeway;
  if (input.expiration_leeway !== undefined) role.expirationLeeway = input.expiration_leeway;
  if (input.not_before_leeway !== undefined) role.notBeforeLeeway = input.not_before_leeway;
  if (input.allowed_redirect_uris !== undefined) role.allowedRedirectUris = input.allowed_redirect_uris;
  if (input.oidc_scopes !== undefined) role.oidcScopes = input.oidc_scopes;
  if (role.userClaim === '') throw invalid('a user claim must be defined on the role');
  if (role.roleType === 'oidc') {
    // Vault's checks for an oidc role; its audience is the client_id, so no bound constraint is needed.
    if ((role.allowedRedirectUris ?? []).length === 0) {
      throw invalid("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
    }
    return role;
  }
  const bound =
    role.boundAudiences.length > 0 ||
    role.token.tokenBoundCidrs.length > 0 ||
    role.boundSubject !== '' ||
    Object.keys(role.boundClaims).length > 0;
  if (!bound) throw invalid('must have at least one bound constraint when creating/updating a role');
  return role;
}

export function roleToWire(role: JwtRole): Record<string, unknown> {
  const hasClaims = Object.keys(role.boundClaims).length > 0;
  const hasMappings = Object.keys(role.claimMappings).length > 0;
  return {
    role_type: role.roleType,
    bound_audiences: role.boundAudiences,
    bound_subject: role.boundSubject,
    bound_claims_type: role.boundClaimsType,
    bound_claims: hasClaims ? role.boundClaims : null,
    claim_mappings: hasMappings ? role.claimMappings : null,
    user_claim: role.userClaim,
    user_claim_json_pointer: role.userClaimJsonPointer,
    groups_claim: role.groupsClaim,
    clock_skew_leeway: role.clockSkewLeeway,
    expiration_leeway: role.expirationLeeway,
    not_before_leeway: role.notBeforeLeeway,
    allowed_redirect_uris: role.allowedRedirectUris ?? [],
    oidc_scopes: role.oidcScopes ?? [],
    ...tokenParamsToWire(role.token),
  };
}
