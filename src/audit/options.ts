/** Parsing of the string options every audit device shares, with Vault's defaults and error texts. */
import { invalid } from '../core/errors.js';

export type DeviceOptions = Readonly<Record<string, string>>;

/** How a device formats its entries; `prefix` is applied by the device itself when it frames a line. */
export interface FormatConfig {
  readonly hmacAccessor: boolean;
  readonly logRaw: boolean;
  readonly elideListResponses: boolean;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's `strconv.ParseBool`, whose error text Vault returns as is. */
export function parseBoolOption(options: DeviceOptions, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw invalid(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

export function parseFormatConfig(options: DeviceOptions): FormatConfig {
  const format = options.format ?? 'json';
  if (format === 'jsonx')
    throw invalid(
      'jsonx formatting has been removed, consider switching to json by omitting "format" or setting it to "json"',
    );
  if (format !== 'json') throw invalid(`unknown format type ${JSON.stringify(format)}`);
  return {
    hmacAccessor: parseBoolOption(options, 'hmac_accessor', true),
    logRaw: parseBoolOption(options, 'log_raw', false),
    elideListResponses: parseBoolOption(options, 'elide_list_responses', false),
  };
}

/** Written before each JSON line; arbitrary text, which is why the broker gates it behind server config. */
export function parsePrefix(options: DeviceOptions): string {
  return options.prefix ?? '';
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;

/** Vault's `ParseDurationSecond` in milliseconds: a bare integer is seconds, otherwise Go units. */
export function parseDurationMs(value: string, name: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  TERM.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = TERM.exec(text); m; m = TERM.exec(text)) {
    total += Number.parseFloat(m[1]) * UNIT_MS[m[2]];
    consumed = TERM.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length)
    throw invalid(`time: invalid duration ${JSON.stringify(value)} for ${JSON.stringify(name)}`);
  return total;
}
