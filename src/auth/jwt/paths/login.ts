/**
 * `login` (unauthenticated): verifies a JWT against the mount's configured keys and the role's
 * bindings, then hands core an `auth` to mint a token from. Only `role` and `jwt` are read from
 * the request; any key, JWKS URL or issuer in the body is ignored (CVE-2020-16250's lesson).
 */
import { CofferError, invalid } from '../../../core/errors.js';
import type { DeepReadonly } from '../../../framework/deep-freeze.js';
import { field, type Input } from '../../../framework/fields.js';
import type { AuthResult, LogicalRequest } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { authFromTokenParams, checkLoginCidrs } from '../../token-fields.js';
import { checkBoundClaims, groupsOf, mappedMetadata, userNameOf } from '../claims.js';
import { type KeyConfig, readKeyConfig, supportedAlgs } from '../config.js';
import type { KeyResolverCache } from '../key-set.js';
import { type JwtRole, readRole } from '../role.js';
import { type Claims, checkRegisteredClaims, checkUnboundAudience, verifySignature } from '../verify.js';

/** The role as the barrier's cache shares it: frozen, and only read here. */
type RoleView = DeepReadonly<JwtRole>;

const loginFields = {
  role: field.string('Role to log in against; the config default_role when empty.', { max: 512 }),
  jwt: { ...field.string('The signed JWT.', { max: 64 * 1024 }) },
};

/** Signature and registered claims, as Vault's validator checks them; its errors carry Vault's prefix. */
async function validatedToken(
  ctx: EngineContext,
  resolvers: KeyResolverCache,
  config: KeyConfig,
  role: RoleView,
  token: string,
): Promise<Claims> {
  const resolver = resolvers.resolverFor(ctx.system.mountUuid, config, ctx.clock);
  const claims = await verifySignature(token, resolver, supportedAlgs(config));
  const providerIssuer = await resolver.issuer();
  // An OIDC provider's tokens must carry its own issuer, whatever bound_issuer says.
  if (providerIssuer !== undefined && claims.iss !== providerIssuer) {
    throw invalid('invalid issuer (iss) claim');
  }
  checkRegisteredClaims(claims, {
    issuer: config.boundIssuer || undefined,
    subject: role.boundSubject || undefined,
    audiences: role.boundAudiences,
    clockSkewLeeway: role.clockSkewLeeway,
    expirationLeeway: role.expirationLeeway,
    notBeforeLeeway: role.notBeforeLeeway,
    nowSeconds: Math.floor(ctx.clock.now() / 1000),
  });
  return claims;
}

async function verifiedClaims(
  ctx: EngineContext,
  resolvers: KeyResolverCache,
  config: KeyConfig,
  role: RoleView,
  token: string,
): Promise<Claims> {
  let claims: Claims;
  try {
    claims = await validatedToken(ctx, resolvers, config, role, token);
  } catch (error) {
    // Vault's login answers every validator failure as `error validating token: <error>`.
    if (error instanceof CofferError && error.code === 'invalid_request')
      throw invalid(`error validating token: ${error.message}`);
    throw error;
  }
  // Vault checks these after the validator, each with its own text.
  checkUnboundAudience(claims, role.boundAudiences);
  checkBoundClaims(role.boundClaimsType, role.boundClaims, claims);
  return claims;
}

function authFor(roleName: string, role: RoleView, claims: Claims): AuthResult {
  const userName = userNameOf(claims, role.userClaim, role.userClaimJsonPointer);
  const mapped = mappedMetadata(claims, role.claimMappings);
  const groups = groupsOf(claims, role.groupsClaim);
  return authFromTokenParams(role.token, {
    displayName: userName,
    metadata: { ...mapped, role: roleName },
    alias: { name: userName, metadata: mapped },
    groupAliases: groups,
    internalData: { role: roleName, groups },
  });
}

async function login(
  ctx: EngineContext,
  resolvers: KeyResolverCache,
  input: Input<typeof loginFields>,
  req: LogicalRequest,
) {
  const config = await readKeyConfig(ctx.storage);
  if (!config) throw invalid('could not load configuration');
  const roleName = (input.role || config.defaultRole).toLowerCase();
  if (roleName === '') throw invalid('missing role');
  const role = await readRole(ctx.storage, roleName);
  if (!role) throw invalid(`role "${roleName}" could not be found`);
  // Vault: an oidc role is for the browser flow (which Coffer lacks), never for a bearer JWT.
  if (role.roleType === 'oidc') throw invalid('role with oidc role_type is not allowed');
  const token = input.jwt?.trim() ?? '';
  if (token === '') throw invalid('missing token');
  checkLoginCidrs(role.token, req);
  const claims = await verifiedClaims(ctx, resolvers, config, role, token);
  return { auth: authFor(roleName, role, claims) };
}

export function loginPaths(resolvers: KeyResolverCache) {
  return [
    definePath({
      pattern: 'login',
      fields: loginFields,
      unauthenticated: true,
      operations: { update: (ctx, input, req) => login(ctx, resolvers, input, req) },
      help: 'Authenticates with a signed JWT (or OIDC ID token) against a role.',
    }),
  ];
}
