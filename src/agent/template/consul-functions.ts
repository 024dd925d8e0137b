/**
 * consul-template's helper functions that Vault Agent templates use (`env`, `toJSON`, `base64Encode`,
 * `split`, …), with consul-template's argument order: the piped value comes last, as in
 * `{{ .Data.data.hosts | split "," }}`. `toYAML` is left out: no YAML library is a dependency.
 */
import type { TemplateFunction } from './execute.js';
import { GoStruct, isMap, sortedKeys, typeName } from './values.js';

function str(name: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new Error(`error calling ${name}: expected string, got ${typeName(value)}`);
  return value;
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value))
    throw new Error(`error calling ${name}: expected a list, got ${typeName(value)}`);
  return value.map((item) => (typeof item === 'string' ? item : String(item)));
}

/** Go's json.Marshal: map keys sorted; <, > and & escaped for HTML, as Go does by default. */
function goJson(value: unknown, indent?: string): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (isMap(v)) return Object.fromEntries(sortedKeys(v).map((k) => [k, sorted(v[k])]));
    // A struct: its fields in their declared order, as json.Marshal writes them.
    if (v instanceof GoStruct)
      return Object.fromEntries(Object.entries(v.fields).map(([k, f]) => [k, sorted(f)]));
    return v === undefined ? null : v;
  };
  const text = JSON.stringify(sorted(value), null, indent) ?? 'null';
  return text
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function decodeBase64(name: string, value: unknown, alphabet: RegExp, encoding: BufferEncoding): string {
  const text = str(name, value);
  if (!alphabet.test(text)) throw new Error(`error calling ${name}: illegal base64 data`);
  return Buffer.from(text, encoding).toString('utf8');
}

function contains(needle: unknown, haystack: unknown): boolean {
  if (typeof haystack === 'string') return haystack.includes(str('contains', needle));
  if (Array.isArray(haystack)) return haystack.some((item) => item === needle);
  if (isMap(haystack)) return typeof needle === 'string' && Object.hasOwn(haystack, needle);
  if (haystack === undefined || haystack === null) return false;
  throw new Error(`error calling contains: cannot search in type ${typeName(haystack)}`);
}

const GO_LAYOUT: [string, (d: Date) => string][] = [
  ['2006', (d) => String(d.getUTCFullYear())],
  ['01', (d) => String(d.getUTCMonth() + 1).padStart(2, '0')],
  ['02', (d) => String(d.getUTCDate()).padStart(2, '0')],
  ['15', (d) => String(d.getUTCHours()).padStart(2, '0')],
  ['04', (d) => String(d.getUTCMinutes()).padStart(2, '0')],
  ['05', (d) => String(d.getUTCSeconds()).padStart(2, '0')],
  ['Z07:00', () => 'Z'],
];

/** consul-template's `timestamp`: RFC 3339 in UTC, `"unix"` for seconds, or a Go layout (numeric fields). */
export function timestamp(now: Date, layout?: unknown): string {
  if (layout === undefined) return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const text = str('timestamp', layout);
  if (text === 'unix') return String(Math.floor(now.getTime() / 1000));
  let out = '';
  for (let i = 0; i < text.length; ) {
    const match = GO_LAYOUT.find(([token]) => text.startsWith(token, i));
    if (match) {
      out += match[1](now);
      i += match[0].length;
    } else {
      out += text[i++];
    }
  }
  return out;
}

export function consulFunctions(env: NodeJS.ProcessEnv, now: () => Date): Record<string, TemplateFunction> {
  return {
    env: (name) => {
      const key = str('env', name);
      return (Object.hasOwn(env, key) ? env[key] : undefined) ?? '';
    },
    toJSON: (value) => goJson(value),
    toJSONPretty: (value) => goJson(value, '  '),
    parseJSON: (text) => {
      try {
        return JSON.parse(str('parseJSON', text));
      } catch {
        throw new Error('error calling parseJSON: invalid JSON');
      }
    },
    base64Encode: (value) => Buffer.from(str('base64Encode', value)).toString('base64'),
    base64Decode: (value) => decodeBase64('base64Decode', value, /^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
    base64URLEncode: (value) => Buffer.from(str('base64URLEncode', value)).toString('base64url'),
    base64URLDecode: (value) => decodeBase64('base64URLDecode', value, /^[A-Za-z0-9_-]*={0,2}$/, 'base64url'),
    trimSpace: (value) => str('trimSpace', value).trim(),
    trimPrefix: (prefix, value) => {
      const text = str('trimPrefix', value);
      const p = str('trimPrefix', prefix);
      return text.startsWith(p) ? text.slice(p.length) : text;
    },
    trimSuffix: (suffix, value) => {
      const text = str('trimSuffix', value);
      const s = str('trimSuffix', suffix);
      return s && text.endsWith(s) ? text.slice(0, -s.length) : text;
    },
    split: (separator, value) => {
      const text = str('split', value);
      return text === '' ? [] : text.split(str('split', separator));
    },
    join: (separator, list) => stringList('join', list).join(str('join', separator)),
    contains: (needle, haystack) => contains(needle, haystack),
    in: (haystack, needle) => contains(needle, haystack),
    replaceAll: (from, to, value) => {
      // A function, so `$&`, `$'` and `$$` in the replacement (often a secret) stay as they are, as in Go.
      const replacement = str('replaceAll', to);
      return str('replaceAll', value).replaceAll(str('replaceAll', from), () => replacement);
    },
    toLower: (value) => str('toLower', value).toLowerCase(),
    toUpper: (value) => str('toUpper', value).toUpperCase(),
    timestamp: (...args) => {
      if (args.length > 1)
        throw new Error(`wrong number of args for timestamp: want 0..1 got ${args.length}`);
      return timestamp(now(), args[0]);
    },
  };
}
