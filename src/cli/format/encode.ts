/** JSON and YAML text as the vault CLI writes it (Go `MarshalIndent`, ghodss/yaml). */
import { isRecord } from '../../client/secret.js';

/** Deep copy with every map's keys sorted, as Go encodes `map[string]interface{}`. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Two-space indented JSON with Go's HTML escaping of `<`, `>`, `&`. Objects keep their key order (callers
 * build struct-ordered objects, or pass `sortKeys` output for maps).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (c) => HTML_ESCAPES[c],
  );
}

const PLAIN = /^[A-Za-z_/][\w./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function yamlScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'string') return String(value);
  if (value === '' || !PLAIN.test(value) || RESERVED.test(value)) return JSON.stringify(value);
  return value;
}

function yamlLines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return value.flatMap((item) => {
      const nested = yamlLines(item, `${indent}  `);
      const first = nested[0].trimStart();
      return isNested(item)
        ? [`${indent}- ${first}`, ...nested.slice(1)]
        : [`${indent}- ${yamlScalar(item)}`];
    });
  }
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return [`${indent}{}`];
    return keys.flatMap((key) => {
      const item = value[key];
      const name = yamlScalar(key);
      if (!isNested(item)) return [`${indent}${name}: ${yamlScalar(item)}`];
      // ghodss/yaml puts list items at the key's own indentation.
      return [`${indent}${name}:`, ...yamlLines(item, Array.isArray(item) ? indent : `${indent}  `)];
    });
  }
  return [`${indent}${yamlScalar(value)}`];
}

function isNested(value: unknown): boolean {
  return (Array.isArray(value) && value.length > 0) || (isRecord(value) && Object.keys(value).length > 0);
}

/** YAML with sorted keys, the shape `-format=yaml` prints (trailing whitespace trimmed). */
export function toYaml(value: unknown): string {
  return yamlLines(value, '').join('\n');
}
