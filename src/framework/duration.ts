/** Vault's duration inputs: an integer or digit string is seconds; otherwise Go units plus `d`. */
import { invalid } from '../core/errors.js';

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/gy;

/** Parses to whole seconds (fractions truncated, as Vault does); throws a 400 naming the field. */
export function parseDurationSeconds(value: unknown, fieldName = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`invalid duration for "${fieldName}"`);
    return Math.trunc(value);
  }
  if (typeof value !== 'string') throw invalid(`invalid duration for "${fieldName}"`);
  const text = value.trim();
  if (text === '') return 0;
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  let sign = 1;
  let rest = text;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  TERM.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = TERM.exec(rest); match; match = TERM.exec(rest)) {
    total += Number.parseFloat(match[1]) * UNIT_SECONDS[match[2]];
    consumed = TERM.lastIndex;
  }
  // The field is named, its value never echoed: a mistyped field can carry a secret (SECURITY.md K2).
  if (consumed === 0 || consumed !== rest.length) throw invalid(`invalid duration for "${fieldName}"`);
  return sign * Math.trunc(total + 1e-9);
}

/** Formats seconds as Go's time.Duration string does (`768h0m0s`), as Vault shows in some fields. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
