/** The HMAC that hides secrets in audit entries, and the walk that applies it to request and response data. */
import { createHmac } from 'node:crypto';

/** Bodies reach us already capped at depth 500 by the HTTP layer; this bound also stops a cyclic value. */
export const MAX_HASH_DEPTH = 1000;

/** `hmac-sha256:<hex>` keyed with a device's salt, the same value `sys/audit-hash` returns. */
export function hmacValue(salt: string, value: string): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(value).digest('hex')}`;
}

/** Days in each month of a common year; February gains one in leap years. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(month: number, year: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1];
}

/** The number written by `count` ASCII digits at `from`, or -1 if any is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * True for what Go's `time.Time.UnmarshalText` accepts (strict RFC 3339): Vault leaves those in clear
 * because its own JSON round trip turns every time value into one. Parsed by hand: every string of
 * every audited response passes through here, and a regular expression with a Date per timestamp
 * was ~4% of an audited read.
 */
export function isRfc3339(value: string): boolean {
  if (value.length < 20) return false;
  if (value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':')
    return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let at = 19;
  if (value[at] === '.') {
    const fraction = ++at;
    while (digitsAt(value, at, 1) >= 0) at++;
    if (at === fraction) return false;
  }
  if (value[at] === 'Z') return at + 1 === value.length;
  if (value[at] !== '+' && value[at] !== '-') return false;
  if (at + 6 !== value.length || value[at + 3] !== ':') return false;
  const zoneHour = digitsAt(value, at + 1, 2);
  const zoneMinute = digitsAt(value, at + 4, 2);
  return zoneHour >= 0 && zoneHour <= 23 && zoneMinute >= 0 && zoneMinute <= 59;
}

export type HashFn = (value: string) => string;

type Container = Record<string, unknown> | unknown[];
interface Frame {
  src: Container;
  dst: Container;
  depth: number;
}

function isPlainContainer(value: unknown): value is Container {
  return (
    typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !(value instanceof Date)
  );
}

/**
 * Turns the leaves JSON cannot carry as-is into what Go's JSON round trip would give: bytes become
 * base64 (except a raw HTTP body, logged as its text), dates become RFC 3339, bigints numbers.
 */
function toJsonLeaf(key: string | number, value: unknown): unknown {
  if (value instanceof Uint8Array) {
    const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return key === 'http_raw_body' ? buf.toString('utf8') : buf.toString('base64');
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  return value;
}

/**
 * A copy of `data` with every string value replaced by `hash(value)`, at any depth and inside
 * arrays. Left in clear: map keys, numbers, booleans, null, RFC 3339 timestamps, and the whole
 * subtree under any key named in `nonHmacKeys`. The input is never modified (it still goes to the
 * client). The walk keeps its own stack, so nesting cannot overflow the call stack.
 */
export function hashEntry<T extends Record<string, unknown>>(
  data: T,
  hash: HashFn,
  nonHmacKeys: readonly string[] = [],
): Record<string, unknown> {
  const clear = new Set(nonHmacKeys);
  const root: Record<string, unknown> = {};
  const stack: Frame[] = [{ src: data, dst: root, depth: 1 }];
  while (stack.length > 0) {
    const { src, dst, depth } = stack.pop()!;
    if (depth > MAX_HASH_DEPTH) throw new Error(`audit data nested deeper than ${MAX_HASH_DEPTH} levels`);
    const isArray = Array.isArray(src);
    const keys: (string | number)[] = isArray ? [...src.keys()] : Object.keys(src);
    for (const key of keys) {
      const raw = (src as Record<string | number, unknown>)[key];
      const out = dst as Record<string | number, unknown>;
      if (!isArray && clear.has(key as string)) {
        out[key] = toJsonLeaf(key, raw);
        continue;
      }
      const value = toJsonLeaf(key, raw);
      if (typeof value === 'string') {
        out[key] = isRfc3339(value) ? value : hash(value);
      } else if (isPlainContainer(value)) {
        const child: Container = Array.isArray(value) ? new Array(value.length) : {};
        out[key] = child;
        stack.push({ src: value, dst: child, depth: depth + 1 });
      } else if (value !== undefined || isArray) {
        // Arrays keep their length: JSON writes a missing element as null, as Go would.
        out[key] = value ?? null;
      }
    }
  }
  return root;
}

/** `elide_list_responses`: a list answer's `keys` and `key_info` become their element counts. */
export function elideListData(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  if (Array.isArray(out.keys)) out.keys = out.keys.length;
  if (isPlainContainer(out.key_info) && !Array.isArray(out.key_info))
    out.key_info = Object.keys(out.key_info).length;
  return out;
}
