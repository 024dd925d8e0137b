/**
 * Go text/template's built-in functions (comparison, logic, `index`, `len`, `printf`, `print`, …).
 * Error messages name types and counts, never values: the values are usually secrets.
 */
import type { TemplateFunction } from './execute.js';
import { formatValue, isMap, truth, typeName } from './values.js';

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : `${min}..${max}`;
    throw new Error(`wrong number of args for ${name}: want ${want} got ${args.length}`);
  }
}

/** A function of exactly `count` arguments. */
function fixed(name: string, count: number, fn: (...args: unknown[]) => unknown): TemplateFunction {
  return (...args) => {
    arity(name, args, count);
    return fn(...args);
  };
}

type Kind = 'number' | 'string' | 'bool' | 'nil' | 'other';

function basicKind(value: unknown): Kind {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  return 'other';
}

function equal(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka === 'other' || kb === 'other') throw new Error('error calling eq: invalid type for comparison');
  if (ka !== kb) throw new Error('error calling eq: incompatible types for comparison');
  return a === b;
}

function less(name: string, a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (ka !== 'number' && ka !== 'string')
    throw new Error(`error calling ${name}: invalid type for comparison`);
  if (ka !== basicKind(b)) throw new Error(`error calling ${name}: incompatible types for comparison`);
  return (a as number | string) < (b as number | string);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let value = item;
  for (const key of keys) {
    if (Array.isArray(value) || typeof value === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key))
        throw new Error('error calling index: cannot index slice/array with non-integer');
      if (key < 0 || key >= value.length) throw new Error(`error calling index: index out of range: ${key}`);
      value = typeof value === 'string' ? value.charCodeAt(key) : value[key];
    } else if (isMap(value)) {
      if (typeof key !== 'string')
        throw new Error(`error calling index: value has type ${typeName(key)}; should be string`);
      value = Object.hasOwn(value, key) ? value[key] : undefined;
    } else if (value === undefined || value === null) {
      throw new Error('error calling index: index of untyped nil');
    } else {
      throw new Error(`error calling index: can't index item of type ${typeName(value)}`);
    }
  }
  return value;
}

function length(item: unknown): number {
  if (typeof item === 'string') return Buffer.byteLength(item);
  if (Array.isArray(item)) return item.length;
  if (isMap(item)) return Object.keys(item).length;
  throw new Error(`error calling len: len of type ${typeName(item)}`);
}

function quote(value: string): string {
  return JSON.stringify(value).replace(/\\u007f/g, '\\x7f');
}

function integer(verb: string, value: unknown): string {
  return typeof value === 'number' && Number.isInteger(value)
    ? String(value)
    : `%!${verb}(${typeName(value)}=?)`;
}

const BAD = (verb: string, value: unknown) => `%!${verb}(${typeName(value)}=?)`;

const VERBS: Record<string, (value: unknown, precision: number | undefined) => string> = {
  s: (value) => (value === undefined || value === null ? '%!s(<nil>)' : formatValue(value, true)),
  v: (value) => (value === undefined || value === null ? '<nil>' : formatValue(value, true)),
  d: (value) => integer('d', value),
  q: (value) => (typeof value === 'string' ? quote(value) : BAD('q', value)),
  t: (value) => (typeof value === 'boolean' ? String(value) : BAD('t', value)),
  x: (value) =>
    typeof value === 'number'
      ? Math.trunc(value).toString(16)
      : Buffer.from(formatValue(value, true)).toString('hex'),
  f: (value, precision) => (typeof value === 'number' ? value.toFixed(precision ?? 6) : BAD('f', value)),
};

/** fmt's width: `-` pads on the right; `0` pads a number with zeros after its sign; else spaces on the left. */
function pad(text: string, width: number, flags: string, numeric: boolean): string {
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && numeric && /^-?[0-9a-f.]+$/.test(text)) {
    const sign = text.startsWith('-') ? '-' : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/** Go's `fmt.Sprintf` for the verbs templates use: %s %d %v %q %t %x %f and %%. */
function sprintf(format: string, ...args: unknown[]): string {
  let next = 0;
  const out = format.replace(
    /%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])/g,
    (_match, flags: string, width: string, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      if (next >= args.length) return `%!${verb}(MISSING)`;
      const value = args[next++];
      const format = VERBS[verb];
      const text = format
        ? format(value, precision === undefined ? undefined : Number(precision))
        : BAD(verb, value);
      return width
        ? pad(text, Number(width), flags, typeof value === 'number' && format !== undefined)
        : text;
    },
  );
  return next < args.length ? `${out}%!(EXTRA ${args.slice(next).map(typeName).join(', ')})` : out;
}

/** Go's `fmt.Sprint`: a space between operands when neither is a string. */
function sprint(...args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg, true);
  });
  return out;
}

function sliceOf(item: unknown, ...bounds: unknown[]): unknown {
  if (!Array.isArray(item) && typeof item !== 'string')
    throw new Error(`error calling slice: can't slice item of type ${typeName(item)}`);
  const [start = 0, end = item.length] = bounds as number[];
  if (start < 0 || end > item.length || start > end)
    throw new Error('error calling slice: index out of range');
  return item.slice(start, end);
}

export const goBuiltins: Record<string, TemplateFunction> = {
  eq: (first: unknown, ...others: unknown[]) => {
    if (others.length === 0) throw new Error('wrong number of args for eq: want at least 2 got 1');
    return others.some((other) => equal(first, other));
  },
  ne: fixed('ne', 2, (a, b) => !equal(a, b)),
  lt: fixed('lt', 2, (...args) => less('lt', args[0], args[1])),
  le: fixed('le', 2, (...args) => less('le', args[0], args[1]) || equal(args[0], args[1])),
  gt: fixed('gt', 2, (...args) => less('gt', args[1], args[0])),
  ge: fixed('ge', 2, (...args) => less('ge', args[1], args[0]) || equal(args[0], args[1])),
  not: fixed('not', 1, (...args) => !truth(args[0])),
  index: (...args) => {
    if (args.length === 0) throw new Error('wrong number of args for index: want at least 1 got 0');
    return index(args[0], ...args.slice(1));
  },
  len: fixed('len', 1, (...args) => length(args[0])),
  slice: (...args) => sliceOf(args[0], ...args.slice(1)),
  printf: (format: unknown, ...args: unknown[]) => {
    if (typeof format !== 'string') throw new Error('error calling printf: format must be a string');
    return sprintf(format, ...args);
  },
  print: (...args) => sprint(...args),
  println: (...args) => `${args.map((arg) => formatValue(arg, true)).join(' ')}\n`,
  urlquery: (...args) => encodeURIComponent(sprint(...args)).replace(/%20/g, '+'),
};
