/** Role bindings over a verified token's claims: bound_claims, user and groups claims, claim_mappings. */
import { invalid } from '../../core/errors.js';
import type { DeepReadonly } from '../../framework/deep-freeze.js';
import { isPlainObject } from '../../framework/fields.js';
import { globMatches } from '../../framework/glob.js';
import type { Claims } from './verify.js';

export type BoundClaimValue = string | number | boolean;
export type BoundClaims = Record<string, BoundClaimValue | BoundClaimValue[]>;

/** A claim by name, or by JSON pointer when the name starts with `/` (Vault's getClaim). */
export function getClaim(claims: Claims, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let current: unknown = claims;
  for (const raw of name.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function matchesOne(type: 'string' | 'glob', expected: unknown, actual: unknown): boolean {
  if (type === 'glob')
    return typeof expected === 'string' && typeof actual === 'string' && globMatches(expected, actual);
  return expected === actual;
}

/** Every bound claim must be present, and one of its expected values must equal (or glob) one actual value. */
export function checkBoundClaims(
  type: 'string' | 'glob',
  bound: DeepReadonly<BoundClaims>,
  claims: Claims,
): void {
  for (const [name, expected] of Object.entries(bound)) {
    const actual = getClaim(claims, name);
    if (actual === undefined || actual === null)
      throw invalid(`error validating claims: claim "${name}" is missing`);
    const actualValues = asList(actual);
    if (actualValues.some((v) => typeof v === 'object' && v !== null)) {
      throw invalid(`error validating claims: claim "${name}" is not a string or list`);
    }
    const found = asList(expected).some((e) => actualValues.some((a) => matchesOne(type, e, a)));
    if (!found)
      throw invalid(
        `error validating claims: claim "${name}" does not match any associated bound claim values`,
      );
  }
}

/** Checks a bound_claims input: scalars or lists of scalars; glob patterns must be strings. */
export function parseBoundClaims(raw: Record<string, unknown>, type: 'string' | 'glob'): BoundClaims {
  const out: BoundClaims = {};
  for (const [name, value] of Object.entries(raw)) {
    const values = asList(value);
    const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
    if (values.length === 0 || !values.every(scalar)) throw invalid(`claim is not a string or list: ${name}`);
    if (type === 'glob' && !values.every((v) => typeof v === 'string'))
      throw invalid(`claim is not a string: ${name}`);
    out[name] = value as BoundClaimValue | BoundClaimValue[];
  }
  return out;
}

/** The alias name: the user claim must be a string. */
export function userNameOf(claims: Claims, userClaim: string, jsonPointer: boolean): string {
  const value = jsonPointer ? getClaim(claims, userClaim) : claims[userClaim];
  if (value === undefined || value === null) throw invalid(`claim "${userClaim}" not found in token`);
  if (typeof value !== 'string') throw invalid(`claim "${userClaim}" could not be converted to string`);
  return value;
}

/** claim_mappings: claim (or pointer) → metadata key; a mapped claim present must be a string. */
export function mappedMetadata(claims: Claims, mappings: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [source, target] of Object.entries(mappings)) {
    const value = getClaim(claims, source);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(`error converting claim '${source}' to string`);
    metadata[target] = value;
  }
  return metadata;
}

/** The groups claim as names: a string or a list of strings; empty names are dropped. */
export function groupsOf(claims: Claims, groupsClaim: string): string[] {
  if (groupsClaim === '') return [];
  const value = getClaim(claims, groupsClaim);
  if (value === undefined || value === null)
    throw invalid(`failed to fetch groups: "${groupsClaim}" claim not found in token`);
  const list = asList(value);
  if (!list.every((g) => typeof g === 'string')) {
    throw invalid(`"${groupsClaim}" claim could not be converted to string list`);
  }
  return (list as string[]).filter((g) => g !== '');
}
