/**
 * The token fields every auth method's roles and users share (Vault's `tokenutil`): what the
 * token minted at login looks like. One definition so every method validates, stores and answers
 * them the same way.
 */
import { cidrAllows, isValidCidr } from '../core/cidr.js';
import { denied, invalid } from '../core/errors.js';
import type { DeepReadonly } from '../framework/deep-freeze.js';
import type { LoginRenewal, LoginView } from '../framework/engine.js';
import { field } from '../framework/fields.js';
import type { AuthResult, LogicalRequest } from '../framework/logical.js';
import type { MaybePromise } from '../framework/maybe-promise.js';
import type { EngineContext } from '../framework/path.js';
import type { StorageView } from '../framework/storage-view.js';

export interface TokenParams {
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenNumUses: number;
  tokenNoDefaultPolicy: boolean;
  tokenBoundCidrs: string[];
  tokenType: 'default' | 'service' | 'batch' | 'default-service' | 'default-batch';
}

export const tokenFields = {
  token_policies: field.stringList('Policies attached to tokens minted at login.'),
  /** Deprecated alias of token_policies that Vault still accepts and answers. */
  policies: field.stringList('Deprecated: use token_policies.'),
  token_ttl: field.duration('Default TTL of minted tokens.'),
  token_max_ttl: field.duration('Maximum TTL of minted tokens.'),
  token_explicit_max_ttl: field.duration('Hard TTL cap that renewals cannot pass.'),
  token_period: field.duration('Makes minted tokens periodic.'),
  token_num_uses: field.int('Uses per minted token (0 = unlimited).', { min: 0 }),
  token_no_default_policy: field.bool('Leave out the default policy.'),
  token_bound_cidrs: field.stringList('CIDRs minted tokens may be used from (also checked at login).'),
  token_type: field.string('service, batch, default, default-service or default-batch.'),
};

const TOKEN_TYPES = new Set(['default', 'service', 'batch', 'default-service', 'default-batch']);

export function defaultTokenParams(): TokenParams {
  return {
    tokenPolicies: [],
    tokenTtl: 0,
    tokenMaxTtl: 0,
    tokenExplicitMaxTtl: 0,
    tokenPeriod: 0,
    tokenNumUses: 0,
    tokenNoDefaultPolicy: false,
    tokenBoundCidrs: [],
    tokenType: 'default',
  };
}

type TokenInput = { [K in keyof typeof tokenFields]?: ReturnType<(typeof tokenFields)[K]['parse']> };

/** Applies the fields present in `input` over `existing` (create and update alike) and validates. */
export function updateTokenParams(existing: TokenParams, input: TokenInput): TokenParams {
  if (input.token_policies !== undefined && input.policies !== undefined) {
    throw invalid('"token_policies" and "policies" cannot both be supplied');
  }
  const next: TokenParams = { ...existing };
  const policies = input.token_policies ?? input.policies;
  if (policies !== undefined) next.tokenPolicies = normalisePolicies(policies);
  if (input.token_ttl !== undefined) next.tokenTtl = nonNegative(input.token_ttl, 'token_ttl');
  if (input.token_max_ttl !== undefined) next.tokenMaxTtl = nonNegative(input.token_max_ttl, 'token_max_ttl');
  if (input.token_explicit_max_ttl !== undefined)
    next.tokenExplicitMaxTtl = nonNegative(input.token_explicit_max_ttl, 'token_explicit_max_ttl');
  if (input.token_period !== undefined) next.tokenPeriod = nonNegative(input.token_period, 'token_period');
  if (input.token_num_uses !== undefined) next.tokenNumUses = input.token_num_uses;
  if (input.token_no_default_policy !== undefined) next.tokenNoDefaultPolicy = input.token_no_default_policy;
  if (input.token_bound_cidrs !== undefined) {
    for (const cidr of input.token_bound_cidrs) {
      if (!isValidCidr(cidr)) throw invalid(`invalid CIDR in token_bound_cidrs: ${JSON.stringify(cidr)}`);
    }
    next.tokenBoundCidrs = input.token_bound_cidrs;
  }
  if (input.token_type !== undefined) {
    if (!TOKEN_TYPES.has(input.token_type)) throw invalid(`invalid 'token_type' value "${input.token_type}"`);
    next.tokenType = input.token_type as TokenParams['tokenType'];
  }
  if (ttlAboveMax(next)) throw invalid('"token_ttl" cannot be greater than "token_max_ttl"');
  if (isBatch(next.tokenType) && next.tokenPeriod > 0) throw invalid('batch tokens cannot be periodic');
  if (isBatch(next.tokenType) && next.tokenNumUses > 0) throw invalid('batch tokens cannot have num_uses');
  return next;
}

/** token_ttl beyond a set token_max_ttl, which no write may leave behind. */
export function ttlAboveMax(params: Pick<TokenParams, 'tokenTtl' | 'tokenMaxTtl'>): boolean {
  return params.tokenMaxTtl > 0 && params.tokenTtl > params.tokenMaxTtl;
}

function isBatch(type: TokenParams['tokenType']): boolean {
  return type === 'batch' || type === 'default-batch';
}

function nonNegative(seconds: number, name: string): number {
  if (seconds < 0) throw invalid(`"${name}" cannot be negative`);
  return seconds;
}

function normalisePolicies(policies: string[]): string[] {
  return [...new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort();
}

/** The fields as Vault answers them on a role/user read (plus the deprecated `policies` mirror). */
export function tokenParamsToWire(params: TokenParams): Record<string, unknown> {
  return {
    token_policies: params.tokenPolicies,
    policies: params.tokenPolicies,
    token_ttl: params.tokenTtl,
    token_max_ttl: params.tokenMaxTtl,
    token_explicit_max_ttl: params.tokenExplicitMaxTtl,
    token_period: params.tokenPeriod,
    token_num_uses: params.tokenNumUses,
    token_no_default_policy: params.tokenNoDefaultPolicy,
    token_bound_cidrs: params.tokenBoundCidrs,
    token_type: params.tokenType,
  };
}

/**
 * Refuses a login from outside `token_bound_cidrs`: a token that could never be used from the
 * caller's address should not be minted at all.
 */
export function checkLoginCidrs(
  params: Pick<DeepReadonly<TokenParams>, 'tokenBoundCidrs'>,
  req: LogicalRequest,
): void {
  requireAddressIn(params.tokenBoundCidrs, req);
}

/** Refuses a client outside `cidrs` (no list: anyone). */
/** The caller's address must be in `cidrs` (when there are any); `refuse` makes the error (403 by default). */
export function requireAddressIn(
  cidrs: readonly string[],
  req: LogicalRequest,
  refuse: (address: string) => Error = () => denied(),
): void {
  if (cidrs.length === 0) return;
  const address = req.clientAddr;
  if (!address || !cidrs.some((cidr) => cidrAllows(cidr, address))) throw refuse(address ?? '');
}

/** The `auth` a login handler returns; core mints the token from it. */
export function authFromTokenParams(
  params: DeepReadonly<TokenParams>,
  extra: Pick<AuthResult, 'displayName' | 'metadata' | 'alias' | 'internalData' | 'groupAliases'> & {
    policies?: string[];
  },
): AuthResult {
  // Copies: a role's params may be the barrier's frozen shared entry, and the auth is the caller's own.
  const policies = extra.policies ?? [...params.tokenPolicies];
  return {
    policies,
    tokenPolicies: policies,
    metadata: extra.metadata,
    displayName: extra.displayName,
    alias: extra.alias,
    groupAliases: extra.groupAliases,
    internalData: extra.internalData,
    ttlSeconds: params.tokenTtl || undefined,
    maxTtlSeconds: params.tokenMaxTtl || undefined,
    explicitMaxTtlSeconds: params.tokenExplicitMaxTtl || undefined,
    periodSeconds: params.tokenPeriod || undefined,
    numUses: params.tokenNumUses || undefined,
    noDefaultPolicy: params.tokenNoDefaultPolicy,
    boundCidrs: params.tokenBoundCidrs.length ? [...params.tokenBoundCidrs] : undefined,
    tokenType: isBatch(params.tokenType) ? 'batch' : 'service',
    renewable: true,
  };
}

/**
 * An auth method's `renewLogin` (Vault's pathLoginRenew): the role or user named in the login's
 * internalData under `key` must still exist, and its current token settings apply to the renewal.
 */
export function renewByTokenParams<T extends { token: TokenParams }>(
  load: (storage: StorageView, name: string) => MaybePromise<T | undefined>,
  key: string,
  what: 'role' | 'user' = 'role',
) {
  return async (ctx: EngineContext, login: LoginView): Promise<LoginRenewal> => {
    const name = String(login.internalData[key] ?? '');
    const found = await load(ctx.storage, name);
    if (!found) throw invalid(`${what} "${name}" does not exist during renewal`);
    const { tokenTtl, tokenMaxTtl, tokenPeriod } = found.token;
    return { ttlSeconds: tokenTtl, maxTtlSeconds: tokenMaxTtl, periodSeconds: tokenPeriod };
  };
}
