/**
 * Typed request fields with Vault's input coercions (query strings arrive as text, lists may be
 * comma-separated). A field parses one raw value or throws a 400 that names the field.
 */
import { invalid } from '../core/errors.js';
import { parseDurationSeconds } from './duration.js';

export type FieldKind =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  | 'duration'
  | 'stringList'
  | 'map'
  | 'object'
  | 'kvPairs'
  | 'any';

export interface Field<T> {
  kind: FieldKind;
  description: string;
  default?: T;
  required?: boolean;
  parse(value: unknown, name: string): T;
}

interface Options<T> {
  default?: T;
  required?: boolean;
}

const MAX_STRING = 1 << 20; // a bare string field never takes more than 1 MiB

/**
 * A string field's text. A number or boolean is taken as its text, as Go's weak decoding does, but not
 * a number JSON cannot hold (1e999 parses as Infinity, which would be stored as "Infinity"). NUL is
 * refused: no name, path or setting means anything with it, and storage keys cannot hold it.
 */
function parseString(max: number) {
  return (value: unknown, name: string): string => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
      text = String(value);
    else throw invalid(`field "${name}" must be a string`);
    if (text.length > max) throw invalid(`field "${name}" is longer than ${max} characters`);
    if (text.includes('\u0000')) throw invalid(`field "${name}" contains a NUL character`);
    return text;
  };
}

function parseInteger(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number))
    throw invalid(`field "${name}" must be an integer`);
  return number;
}

/** Go's float fields: a JSON number or its text; never NaN or an infinity. */
function parseNumber(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number))
    throw invalid(`field "${name}" must be a number`);
  return number;
}

function parseBool(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string') {
    // Go's strconv.ParseBool set.
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(value)) return false;
  }
  throw invalid(`field "${name}" must be a boolean`);
}

function parseStringList(value: unknown, name: string): string[] {
  if (Array.isArray(value)) return value.map((item) => parseString(MAX_STRING)(item, name));
  if (typeof value === 'string') {
    const text = parseString(MAX_STRING)(value, name);
    return text === ''
      ? []
      : text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  }
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)];
  throw invalid(`field "${name}" must be a list of strings`);
}

function parseMap(value: unknown, name: string): Record<string, string> {
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      return parseMap(JSON.parse(value), name);
    } catch {
      throw invalid(`field "${name}" must be a map of strings`);
    }
  }
  if (!isPlainObject(value)) throw invalid(`field "${name}" must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw invalid(`field "${name}" must be a map of strings`);
    }
    out[key] = String(item);
  }
  return out;
}

function parseKvPairs(value: unknown, name: string): Record<string, string> {
  if (isPlainObject(value)) return parseMap(value, name);
  const out: Record<string, string> = {};
  for (const pair of parseStringList(value, name)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw invalid(`field "${name}" must be a list of key=value pairs`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function parseObject(value: unknown, name: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(`field "${name}" must be a JSON object`);
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function make<T>(
  kind: FieldKind,
  description: string,
  parse: Field<T>['parse'],
  options?: Options<T>,
): Field<T> {
  return { kind, description, parse, ...options };
}

export const field = {
  string: (description: string, options?: Options<string> & { max?: number }) =>
    make('string', description, parseString(options?.max ?? MAX_STRING), options),
  /** A URL segment such as a role name: no slashes, at most 512 characters. */
  name: (description: string) =>
    make<string>('string', description, (value, name) => {
      const text = parseString(512)(value, name);
      if (text === '' || text.includes('/')) throw invalid(`invalid ${name}`);
      return text;
    }),
  int: (description: string, options?: Options<number> & { min?: number; max?: number }) =>
    make<number>(
      'int',
      description,
      (value, name) => {
        const n = parseInteger(value, name);
        if (options?.min !== undefined && n < options.min)
          throw invalid(`field "${name}" must be at least ${options.min}`);
        if (options?.max !== undefined && n > options.max)
          throw invalid(`field "${name}" must be at most ${options.max}`);
        return n;
      },
      options,
    ),
  float: (description: string, options?: Options<number>) => make('float', description, parseNumber, options),
  bool: (description: string, options?: Options<boolean>) => make('bool', description, parseBool, options),
  duration: (description: string, options?: Options<number>) =>
    make<number>('duration', description, (value, name) => parseDurationSeconds(value, name), options),
  stringList: (description: string, options?: Options<string[]>) =>
    make('stringList', description, parseStringList, options),
  map: (description: string, options?: Options<Record<string, string>>) =>
    make('map', description, parseMap, options),
  kvPairs: (description: string, options?: Options<Record<string, string>>) =>
    make('kvPairs', description, parseKvPairs, options),
  object: (description: string, options?: Options<Record<string, unknown>>) =>
    make('object', description, parseObject, options),
  any: (description: string, options?: Options<unknown>) =>
    make<unknown>('any', description, (v) => v, options),
};

export type Fields = Record<string, Field<unknown>>;

/** The parsed input a handler receives: every declared field, undefined when absent (and no default applied). */
export type Input<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T | undefined : never };
