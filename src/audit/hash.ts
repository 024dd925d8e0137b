/** The HMAC that hides secrets in audit entries, and the walk that applies it to request and response data. */
import { createHmac } from 'node:crypto';

/** Bodies reach us already capped at depth 500 by the HTTP layer; this bound also stops a cyclic value. */
export const MAX_HASH_DEPTH = 1000;

/** `hmac-sha256:<hex>` keyed with a device's salt, the same value `sys/audit-hash` returns. */
export function hmacValue(salt: string, value: string): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(value).digest('hex')}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * True for what Go's `time.Time.UnmarshalText` accepts (strict RFC 3339): Vault leaves those in clear
 * because its own JSON round trip turns every time value into one.
 */
export function isRfc3339(value: string): boolean {
  // Cheap shape test first: almost every string fails here without touching the regex.
  if (value.length < 20 || value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(10) !== 84 /* T */)
    return false;
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  if (hour > 23 || min > 59 || sec > 59) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
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
