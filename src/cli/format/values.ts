/** Values printed the way the vault CLI's Go code prints them: `%v`, `%q`, durations and times. */
import { humanDuration } from '../../client/duration.js';
import { isRecord } from '../../client/secret.js';

/** Go's `fmt` `%v` of a decoded JSON value: maps as `map[k:v]` with sorted keys, lists as `[a b]`. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goValue(value[k])}`).join(' ')}]`;
  }
  return String(value);
}

/** Go's `%q` of a string list: `["default" "dev"]`; nil prints `[]`. */
export function goQuotedList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Keys vault shows as durations in tables (`ttl`, `*_ttl`, `period`, `*_duration`, …). */
export function looksLikeDuration(key: string): boolean {
  return (
    key === 'period' ||
    key.endsWith('_period') ||
    key === 'ttl' ||
    key.endsWith('_ttl') ||
    key === 'duration' ||
    key.endsWith('_duration') ||
    key === 'lease_max' ||
    key === 'ttl_max'
  );
}

/** An integer number of seconds becomes `1h2m`; anything else is printed unchanged. */
export function durationValue(value: unknown): unknown {
  return typeof value === 'number' && Number.isInteger(value) ? humanDuration(value) : value;
}

/** The table cell of a data value under `key`. */
export function cell(key: string, value: unknown): string {
  return goValue(looksLikeDuration(key) ? durationValue(value) : value);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Go's `time.Time.String()` of an RFC 3339 timestamp: `2024-05-01 10:00:00.123456789 +0000 UTC`. */
export function goTimeString(iso: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!match) return iso;
  const [, date, time, frac = '', zone] = match;
  const fraction = frac.replace(/0+$/, '') === '.' ? '' : frac.replace(/0+$/, '');
  const offset = zone === 'Z' ? '+0000 UTC' : `${zone.replace(':', '')} ${zone.replace(':', '')}`;
  return `${date} ${time}${fraction} ${offset}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's `time.RFC822` in UTC: `01 May 24 10:00 UTC` (used by key-status). */
export function rfc822(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
