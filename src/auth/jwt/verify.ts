/**
 * Verifies a compact JWS against the configured keys, then the registered claims (iss, sub, aud,
 * exp, nbf, iat) with Vault's leeway rules. Every failure is a 400 whose text never holds the token.
 * Texts are those of Vault's validator (hashicorp/cap jwt); the JWT login prefixes them with
 * `error validating token: ` as Vault does.
 */
import type { JWSHeaderParameters } from 'jose';
import { CofferError, invalid } from '../../core/errors.js';
import { isPlainObject } from '../../framework/fields.js';
import { parseCompactJws, verifiesWith } from './jws.js';
import type { KeyResolver } from './key-set.js';

/** Vault's default when a leeway is 0; a negative leeway means none. */
const DEFAULT_LEEWAY_SECONDS = 150;
const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** Well above any real identity token; refuses multi-megabyte inputs before any crypto. */
const MAX_TOKEN_LENGTH = 64 * 1024;

export type Claims = Record<string, unknown>;

/**
 * The token's claims once one of the resolver's keys verifies its signature. `refuse` makes the
 * error (a 400 for the JWT method; the Kubernetes method answers 403 with its own prefix).
 */
export async function verifySignature(
  token: string,
  resolver: KeyResolver,
  algorithms: readonly string[],
  refuse: (message: string) => Error = invalid,
): Promise<Claims> {
  try {
    return await verifyWith(token, resolver, algorithms);
  } catch (error) {
    if (refuse === invalid || !(error instanceof CofferError)) throw error;
    throw refuse(error.message);
  }
}

async function verifyWith(
  token: string,
  resolver: KeyResolver,
  algorithms: readonly string[],
): Promise<Claims> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid('error verifying token signature: token is too long');
  const jws = parseCompactJws(token);
  if (!jws) throw invalid('error verifying token signature: not a compact JWS');
  const header = jws.header as JWSHeaderParameters;
  // Refuses alg "none" and HMAC algs before any key is looked at (algorithm confusion).
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw invalid('invalid algorithm (alg) header parameter: token signed with unexpected algorithm');
  }
  if (header.crit !== undefined) throw invalid('error verifying token signature: unsupported "crit" header');
  for (const key of await resolver.candidates(header)) {
    // A wrong key for this signature: try the next candidate.
    if (verifiesWith(jws, header.alg, key)) return parsePayload(jws.payload);
  }
  throw invalid('error verifying token signature: no known key successfully validated the token signature');
}

function parsePayload(payload: Buffer): Claims {
  let claims: unknown;
  try {
    claims = JSON.parse(payload.toString('utf8'));
  } catch {
    throw invalid('error verifying token signature: the payload is not JSON');
  }
  if (!isPlainObject(claims))
    throw invalid('error verifying token signature: the payload is not a JSON object');
  return claims;
}

export interface ExpectedClaims {
  issuer?: string;
  subject?: string;
  audiences: readonly string[];
  expirationLeeway: number;
  notBeforeLeeway: number;
  clockSkewLeeway: number;
  nowSeconds: number;
}

function numericDate(claims: Claims, name: string): number {
  const value = claims[name];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`invalid "${name}" claim: not a number`);
  return value;
}

export function audienceOf(claims: Claims): string[] {
  const aud = claims.aud;
  if (aud === undefined || aud === null) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud;
  throw invalid('invalid audience (aud) claim: not a string or a list of strings');
}

const effective = (leeway: number, fallback: number) => (leeway < 0 ? 0 : leeway === 0 ? fallback : leeway);

/** Vault (cap/jwt): at least one time claim; a missing exp or nbf is derived with its leeway. */
function checkTimes(claims: Claims, expected: ExpectedClaims): void {
  const iat = numericDate(claims, 'iat');
  let exp = numericDate(claims, 'exp');
  let nbf = numericDate(claims, 'nbf');
  if (iat === 0 && exp === 0 && nbf === 0) {
    throw invalid('no issued at (iat), not before (nbf), or expiration time (exp) claims in token');
  }
  if (exp === 0) exp = Math.max(iat, nbf) + effective(expected.expirationLeeway, DEFAULT_LEEWAY_SECONDS);
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - effective(expected.notBeforeLeeway, DEFAULT_LEEWAY_SECONDS);
  const skew = effective(expected.clockSkewLeeway, DEFAULT_CLOCK_SKEW_SECONDS);
  const now = expected.nowSeconds;
  if (now + skew < nbf) throw invalid('invalid not before (nbf) claim: token not yet valid');
  if (now - skew > exp) throw invalid('invalid expiration time (exp) claim: token is expired');
  if (iat !== 0 && now + skew < iat)
    throw invalid('invalid issued at (iat) claim: token issued in the future');
}

/** The checks of Vault's validator, in its order: iss, sub, aud (when bound), then the times. */
export function checkRegisteredClaims(claims: Claims, expected: ExpectedClaims): void {
  const audience = audienceOf(claims);
  if (expected.issuer && claims.iss !== expected.issuer) throw invalid('invalid issuer (iss) claim');
  if (expected.subject && claims.sub !== expected.subject) throw invalid('invalid subject (sub) claim');
  if (expected.audiences.length > 0 && !expected.audiences.some((a) => audience.includes(a))) {
    throw invalid('invalid audience (aud) claim: audience claim does not match any expected audience');
  }
  checkTimes(claims, expected);
}

/** CVE-2024-5798: a role that binds no audience must not accept a token meant for some audience. */
export function checkUnboundAudience(claims: Claims, boundAudiences: readonly string[]): void {
  if (audienceOf(claims).length > 0 && boundAudiences.length === 0) {
    throw invalid('audience claim found in JWT but no audiences bound to the role');
  }
}
