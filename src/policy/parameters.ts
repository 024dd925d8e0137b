/** `required_parameters`, `denied_parameters` and `allowed_parameters` on a request's top-level data keys. */
import type { Permissions } from './permissions.js';

/** strutil.GlobbedStringsMatch: a leading and/or trailing `*`; a pattern shorter than 2 characters is literal. */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const head = pattern.startsWith('*');
  const tail = pattern.endsWith('*');
  if (head && tail) return value.includes(pattern.slice(1, -1));
  if (head) return value.endsWith(pattern.slice(1));
  if (tail) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** acl.go valueInParameterList: strings compare with globs, anything else structurally, null only to null. */
function inList(value: unknown, list: readonly unknown[]): boolean {
  return list.some((entry) => {
    if (entry === null || value === null || entry === undefined || value === undefined)
      return entry === value;
    if (typeof entry === 'string') return typeof value === 'string' && globMatches(entry, value);
    return deepEqual(entry, value);
  });
}

/**
 * The elements Vault also checks one by one: a list's items, or a string's comma-separated parts (the
 * field may be a comma-string list, and missing that is worse than over-splitting a plain string).
 */
function elementsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return undefined;
  const parts = value.split(',').map((p) => p.trim());
  // Vault's split of "" is no element at all, which would pass any allowed list; Coffer keeps "" as a value.
  return value === '' ? undefined : parts;
}

function allowedValue(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  const elements = elementsOf(value);
  return elements?.every((element) => inList(element, list)) ?? false;
}

function deniedValue(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0 || inList(value, list)) return true;
  return elementsOf(value)?.some((element) => inList(element, list)) ?? false;
}

/** A key's values, never something inherited from Object.prototype (`constructor`, `toString`). */
const own = (values: Record<string, unknown[]>, key: string) =>
  Object.hasOwn(values, key) ? values[key] : undefined;

/** Why the data breaks the rule's parameter constraints, or undefined when it does not (acl.go order). */
export function parameterViolation(perms: Permissions, data: Record<string, unknown>): string | undefined {
  // Required names are compared lower-cased against the keys exactly as sent, as Vault looks them up.
  for (const name of perms.required)
    if (!Object.hasOwn(data, name)) return `missing required parameter ${name}`;
  const entries = Object.entries(data);
  if (entries.length === 0) return undefined;
  const denied = perms.denied;
  if (denied && Object.keys(denied).length > 0) {
    if (Object.hasOwn(denied, '*')) return 'every parameter is denied';
    for (const [key, value] of entries) {
      const list = own(denied, key.toLowerCase());
      if (list && deniedValue(value, list)) return `parameter ${key} is denied`;
    }
  }
  const allowed = perms.allowed;
  if (!allowed) return undefined;
  const keys = Object.keys(allowed);
  const allowAll = Object.hasOwn(allowed, '*');
  if (keys.length === 0 || (keys.length === 1 && allowAll)) return undefined;
  for (const [key, value] of entries) {
    const list = own(allowed, key.toLowerCase());
    if (!list && !allowAll) return `parameter ${key} is not allowed`;
    if (list && !allowedValue(value, list)) return `a value of ${key} is not allowed`;
  }
  return undefined;
}
