/** Reads a plugin's stored connection settings with the loose typing Vault's mapstructure WeakDecode allows. */
import { invalid } from '../../../core/errors.js';
import { parseDurationSeconds } from '../../../framework/duration.js';
import type { ConnectionSettings } from '../plugin.js';

/** A string setting; numbers and booleans are accepted as their text, as WeakDecode does. */
export function readString(config: ConnectionSettings, key: string): string {
  const value = config[key];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`${key} must be a string`);
}

/** An integer setting; `"4"` and `4` both read as 4, and an absent one as `fallback`. */
export function readInt(config: ConnectionSettings, key: string, fallback: number): number {
  const value = config[key];
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw invalid(`${key} must be an integer`);
  return number;
}

/** A boolean setting; `"true"`, `"1"`, `1` and `true` are true, as Go's strconv.ParseBool reads them. */
export function readBool(config: ConnectionSettings, key: string): boolean {
  const value = config[key];
  if (value === undefined || value === null || value === '') return false;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 't', 'true'].includes(text)) return true;
  if (['0', 'f', 'false'].includes(text)) return false;
  throw invalid(`${key} must be a boolean`);
}

/** A duration in whole seconds (`"1h"`, `"30s"` or a number of seconds). */
export function readDurationSeconds(config: ConnectionSettings, key: string): number {
  const value = config[key];
  if (value === undefined || value === null) return 0;
  return parseDurationSeconds(value, key);
}
