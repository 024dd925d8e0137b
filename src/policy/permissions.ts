/** The permissions of one pattern after the token's policies are merged, with Vault's merge rules (acl.go NewACL). */
import type { Capability, ParameterValues, PathRule } from './parse.js';

export interface Permissions {
  capabilities: ReadonlySet<Capability>;
  /** Absent: no restriction. Present (even empty): only listed keys, `*` admitting the rest. */
  allowed?: ParameterValues;
  denied?: ParameterValues;
  required: readonly string[];
  /** Seconds; 0 means no bound. */
  minWrappingTtl: number;
  maxWrappingTtl: number;
}

const copyValues = (values: ParameterValues | undefined): ParameterValues | undefined =>
  values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [...v]]));

export function permissionsOf(rule: PathRule): Permissions {
  return {
    capabilities: new Set(rule.capabilities),
    allowed: copyValues(rule.allowedParameters),
    denied: copyValues(rule.deniedParameters),
    required: [...(rule.requiredParameters ?? [])],
    minWrappingTtl: Math.max(0, rule.minWrappingTtl ?? 0),
    maxWrappingTtl: Math.max(0, rule.maxWrappingTtl ?? 0),
  };
}

/** Keys from both sides; an empty list ("any value") on either side absorbs the other, else values append. */
function mergeValues(into: ParameterValues | undefined, next: ParameterValues | undefined) {
  // Vault merges only when the incoming rule lists something: a rule without constraints does not lift
  // the constraints another policy put on the same pattern.
  if (!next || Object.keys(next).length === 0) return into;
  if (!into) return copyValues(next);
  const out: ParameterValues = { ...into };
  for (const [key, values] of Object.entries(next)) {
    const existing = out[key];
    out[key] =
      values.length === 0 || (existing !== undefined && existing.length === 0)
        ? []
        : [...values, ...(existing ?? [])];
  }
  return out;
}

/** The lower of two bounds where 0 means unset: the merge prefers the shortest wrapping lifetime. */
const lowerBound = (a: number, b: number) => (b > 0 && (a === 0 || b < a) ? b : a);

/** Folds one more policy's rule for the same pattern into the merged permissions. */
export function mergePermissions(into: Permissions, rule: PathRule): Permissions {
  // A deny already recorded for this pattern ignores everything after it.
  if (into.capabilities.has('deny')) return into;
  // A new deny keeps only the deny (parameter maps are dropped, as acl.go does).
  if (rule.capabilities.has('deny'))
    return { ...into, capabilities: new Set(['deny']), allowed: undefined, denied: undefined };
  return {
    capabilities: new Set([...into.capabilities, ...rule.capabilities]),
    allowed: mergeValues(into.allowed, rule.allowedParameters),
    denied: mergeValues(into.denied, rule.deniedParameters),
    required: [...new Set([...into.required, ...(rule.requiredParameters ?? [])])],
    minWrappingTtl: lowerBound(into.minWrappingTtl, Math.max(0, rule.minWrappingTtl ?? 0)),
    maxWrappingTtl: lowerBound(into.maxWrappingTtl, Math.max(0, rule.maxWrappingTtl ?? 0)),
  };
}

/** Whether the permissions grant anything at all (a deny, or an empty list, grants nothing). */
export const grantsAnything = (perms: Permissions) =>
  perms.capabilities.size > 0 && !perms.capabilities.has('deny');
