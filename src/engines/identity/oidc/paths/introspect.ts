/**
 * `oidc/introspect`: is an identity token authentic and still good? Vault's answer is a bare JSON
 * body, `{"active": true}` or `{"active": false, "error": "…"}`, always with status 200.
 */
import { field, type Input } from '../../../../framework/fields.js';
import { loadJose } from '../../../../framework/jose.js';
import type { LogicalResponse } from '../../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../../framework/path.js';
import { publishedKeys } from '../key-ring.js';
import { effectiveIssuer, type OidcRuntime } from '../runtime.js';
import { isSigningAlgorithm } from '../signing-keys.js';

const introspectFields = {
  token: field.string('The identity token to check.', { max: 64 * 1024 }),
  client_id: field.string('When set, the token’s audience must include it.', { max: 512 }),
};

/** go-jose's default clock skew allowance for exp, nbf and iat. */
const LEEWAY_SECONDS = 60;
const CLAIMS_ERROR = 'error validating claims: go-jose/go-jose/jwt: validation failed, ';

function answer(error?: string): LogicalResponse {
  const body = error === undefined ? { active: true } : { active: false, error };
  return { raw: { contentType: 'application/json', body: JSON.stringify(body) } };
}

/**
 * jose is imported when a token is first introspected or signed, not with the identity engine, which
 * every server loads at start-up: importing it there was ~50 ms of a cold start.
 */
async function parseProblem(token: string): Promise<string | undefined> {
  if (token.split('.').length !== 3) return 'compact JWS format must have three parts';
  const { decodeProtectedHeader } = await loadJose();
  try {
    const { alg } = decodeProtectedHeader(token);
    // The token's own header value is not echoed (K2): it is whatever the caller sent.
    if (!alg || !isSigningAlgorithm(alg)) return 'unexpected signature algorithm';
  } catch {
    return 'invalid protected header';
  }
  return undefined;
}

/** The payload of the token if any published key verifies its signature (Vault tries them all). */
async function verifiedPayload(ctx: EngineContext, token: string): Promise<Uint8Array | undefined> {
  const { compactVerify, importJWK } = await loadJose();
  for (const jwk of await publishedKeys(ctx.storage, ctx.clock.now())) {
    try {
      const key = await importJWK(jwk, jwk.alg);
      return (await compactVerify(token, key, { algorithms: [jwk.alg] })).payload;
    } catch {
      // not this key
    }
  }
  return undefined;
}

interface TokenClaims {
  iss?: unknown;
  aud?: unknown;
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
  iat?: unknown;
}

/** go-jose's Claims.Validate, in its order: issuer, audience, not-before, expiry, issued-at. */
function claimsProblem(
  claims: TokenClaims,
  issuer: string,
  clientId: string,
  now: number,
): string | undefined {
  if (claims.iss !== issuer) return 'invalid issuer claim (iss)';
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (clientId !== '' && !audience.includes(clientId)) return 'invalid audience claim (aud)';
  if (typeof claims.nbf === 'number' && now + LEEWAY_SECONDS < claims.nbf) return 'token not valid yet (nbf)';
  if (typeof claims.exp === 'number' && now - LEEWAY_SECONDS > claims.exp) return 'token is expired (exp)';
  if (typeof claims.iat === 'number' && now + LEEWAY_SECONDS < claims.iat)
    return 'token issued in the future (iat)';
  return undefined;
}

async function introspect(runtime: OidcRuntime, ctx: EngineContext, input: Input<typeof introspectFields>) {
  const token = input.token ?? '';
  const parseError = await parseProblem(token);
  if (parseError) return answer(`error parsing token: ${parseError}`);
  const payload = await verifiedPayload(ctx, token);
  if (!payload) return answer('unable to validate the token signature');
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as TokenClaims;
  } catch {
    return answer('error parsing token: invalid claims');
  }
  const now = Math.floor(ctx.clock.now() / 1000);
  const claimsError = claimsProblem(claims, await effectiveIssuer(ctx), input.client_id ?? '', now);
  if (claimsError) return answer(CLAIMS_ERROR + claimsError);
  const entity =
    typeof claims.sub === 'string' ? await runtime.entities.entityById(claims.sub, ctx) : undefined;
  if (!entity) return answer('entity was not found');
  if (entity.disabled) return answer('entity is disabled');
  return answer();
}

export function introspectPaths(runtime: OidcRuntime) {
  return [
    definePath({
      pattern: 'oidc/introspect',
      fields: introspectFields,
      operations: { update: (ctx, input) => introspect(runtime, ctx, input) },
      help: 'Check an identity token: signature, issuer, expiry, audience and that its entity is still enabled.',
    }),
  ];
}
