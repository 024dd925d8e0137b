/**
 * Template values as Go sees them: JSON data (maps, slices, strings, numbers, bools, nil), Go structs
 * with fixed fields (consul-template's Secret), and "no value" (a missing map key). Truth, printing
 * (`fmt`'s %v) and type names follow Go, since templates written for Vault Agent depend on them.
 */

/** A Go struct: a fixed set of exported fields; asking for another one is an error, unlike a map. */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
  ) {}
}

type GoMap = Record<string, unknown>;

export function isMap(value: unknown): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof GoStruct);
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function truth(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof GoStruct) return true;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** The Go type a value decodes to, for error messages (never the value itself: it may be a secret). */
export function typeName(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (value instanceof GoStruct) return value.typeName;
  return 'map[string]interface {}';
}

/** Sorted keys, as Go's fmt and text/template's range order map keys. */
export function sortedKeys(map: GoMap): string[] {
  return Object.keys(map).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value))
    return Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  const text = String(value);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt's %v. `nested` renders nil inside a container as `<nil>`, as Go does. */
export function formatValue(value: unknown, nested = false): string {
  if (value === undefined) return nested ? '<nil>' : '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatValue(v, true)).join(' ')}]`;
  if (value instanceof GoStruct) {
    return `{${Object.values(value.fields)
      .map((v) => formatValue(v, true))
      .join(' ')}}`;
  }
  if (isMap(value)) {
    return `map[${sortedKeys(value)
      .map((k) => `${k}:${formatValue(value[k], true)}`)
      .join(' ')}]`;
  }
  return String(value);
}
