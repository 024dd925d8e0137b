/** Go `time.Duration` as the vault CLI parses and prints it; nanoseconds in a bigint keep long TTLs exact. */

const NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
export const SECOND = NS.s;

const goQuote = (s: string) => JSON.stringify(s);

/** Go's `time.ParseDuration`: `[-+]` then one or more `<number><unit>`, e.g. `1h30m`, `1.5s`, `0`. */
export function parseGoDuration(input: string): bigint {
  let rest = input;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new Error(`time: invalid duration ${goQuote(input)}`);
  let total = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    if (number[0] === '' || number[0] === '.') throw new Error(`time: invalid duration ${goQuote(input)}`);
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]+/.exec(rest)?.[0];
    if (!unit) throw new Error(`time: missing unit in duration ${goQuote(input)}`);
    const scale = NS[unit];
    if (scale === undefined)
      throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(input)}`);
    rest = rest.slice(unit.length);
    const fraction = number[2] ?? '';
    total += BigInt(number[1] || '0') * scale;
    if (fraction) total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
  }
  return negative ? -total : total;
}

/** Vault's `parseutil.ParseDurationSecond`: bare integers are seconds, `Nd` is days, else Go syntax. */
export function parseDurationSecond(input: string): bigint {
  const text = input.trim();
  if (text === '') return 0n;
  if (/^-?\d+$/.test(text)) return BigInt(text) * SECOND;
  if (/^-?\d+d$/.test(text)) return BigInt(text.slice(0, -1)) * 24n * NS.h;
  return parseGoDuration(text);
}

function fraction(value: bigint, digits: number): string {
  const text = value.toString().padStart(digits, '0').replace(/0+$/, '');
  return text ? `.${text}` : '';
}

/** Go's `Duration.String()`: `0s`, `1.5ms`, `90s` → `1m30s`, `3600s` → `1h0m0s`. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u < NS.us) return `${sign}${u}ns`;
  if (u < NS.ms) return `${sign}${u / NS.us}${fraction(u % NS.us, 3)}µs`;
  if (u < SECOND) return `${sign}${u / NS.ms}${fraction(u % NS.ms, 6)}ms`;
  const seconds = u / SECOND;
  const secText = `${seconds % 60n}${fraction(u % SECOND, 9)}s`;
  const minutes = seconds / 60n;
  if (minutes === 0n) return sign + secText;
  const hours = minutes / 60n;
  if (hours === 0n) return `${sign}${minutes}m${secText}`;
  return `${sign}${hours}h${minutes % 60n}m${secText}`;
}

/** Whole seconds, truncated, as the CLI sends increments. */
export function toSeconds(ns: bigint): number {
  return Number(ns / SECOND);
}

/** The vault CLI's table form of a TTL in seconds: Go's string without the `0m`/`0s` padding (`768h`). */
export function humanDuration(seconds: number): string {
  let text = formatGoDuration(BigInt(Math.trunc(seconds)) * SECOND);
  if (text === '0s') return text;
  if (text.endsWith('m0s')) text = text.slice(0, -2);
  const at = text.indexOf('h0m');
  if (at > 0) text = text.slice(0, at + 1) + text.slice(at + 3);
  return text;
}
