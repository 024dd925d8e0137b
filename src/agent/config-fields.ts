/** Readers for the agent's HCL blocks: each names the offending field, and none echoes a value. */
import { invalid } from '../core/errors.js';
import { parseDurationSeconds } from '../framework/duration.js';
import { isPlainObject } from '../framework/fields.js';

export type Body = Record<string, unknown>;

export interface LabelledBlock {
  label: string;
  body: Body;
}

/** An unlabelled block (`vault { … }`): the parser hands it over as a one-element list. */
export function singleBody(value: unknown, where: string): Body | undefined {
  if (value === undefined) return undefined;
  const bodies = Array.isArray(value) ? value : [value];
  if (bodies.length !== 1) throw invalid(`only one ${where} block is permitted`);
  if (!isPlainObject(bodies[0])) throw invalid(`${where}: expected a block`);
  return bodies[0];
}

/**
 * Blocks that take their type as a label (`method "approle" { … }`) or, as Vault also allows, as a
 * `type` attribute of an unlabelled block (`method { type = "approle" … }`).
 */
export function typedBlocks(value: unknown, where: string): LabelledBlock[] {
  if (value === undefined) return [];
  // JSON's `"method": { "type": "approle", … }`: one unlabelled block, not a map of labels.
  if (isPlainObject(value) && typeof value.type === 'string') return typedBlocks([value], where);
  if (Array.isArray(value)) {
    return value.map((body) => {
      if (!isPlainObject(body) || typeof body.type !== 'string' || body.type === '')
        throw invalid(`${where}: a type is required (${where} "<type>" { … })`);
      const { type, ...rest } = body;
      return { label: type, body: rest };
    });
  }
  if (!isPlainObject(value)) throw invalid(`${where}: expected a block`);
  return Object.entries(value).flatMap(([label, bodies]) =>
    (Array.isArray(bodies) ? bodies : [bodies]).map((body) => {
      if (!isPlainObject(body)) throw invalid(`${where} "${label}": expected a block`);
      return { label, body };
    }),
  );
}

/** `config = { … }` (an attribute) or `config { … }` (a block) both arrive; either is one object. */
export function nestedObject(value: unknown, where: string): Body {
  if (value === undefined) return {};
  const body = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isPlainObject(body)) throw invalid(`${where}: expected an object`);
  return body;
}

/** Refuses keys the block does not know, so a typo is not silently ignored. */
export function refuseUnknown(body: Body, known: readonly string[], where: string): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw invalid(`${where}: unknown field "${key}"`);
  }
}

export function optionalString(body: Body, name: string, where: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${where}: "${name}" must be a string`);
  if (value.length > 4096) throw invalid(`${where}: "${name}" is too long`);
  return value;
}

export function requiredString(body: Body, name: string, where: string): string {
  const value = optionalString(body, name, where);
  if (value === undefined || value === '') throw invalid(`${where}: "${name}" is required`);
  return value;
}

/** Go's strconv.ParseBool, which Vault's config parsing uses. */
export function optionalBool(body: Body, name: string, where: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined) return fallback;
  if (value === true || value === false) return value;
  const text = String(value);
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw invalid(`${where}: "${name}" must be a boolean`);
}

/** A duration in ms ("1s", "5m" or seconds); absent or zero is `fallbackMs`. */
export function optionalDurationMs(body: Body, name: string, where: string, fallbackMs: number): number {
  if (body[name] === undefined) return fallbackMs;
  const seconds = parseDurationSeconds(body[name], `${where} ${name}`);
  if (seconds < 0) throw invalid(`${where}: "${name}" cannot be negative`);
  return seconds === 0 ? fallbackMs : seconds * 1000;
}

/** How a config file writes numbers: JSON has no octal literals, so a JSON mode is a plain (decimal) number. */
export type ConfigSyntax = 'hcl' | 'json';

/**
 * A file mode: a string is octal (`"0640"`). A number is read by `numbers`:
 * - `value`: the number is the mode, as Vault takes a sink's `mode` (`416` is 0640). HCL 2 drops a
 *   literal's leading zero, so the HCL text's `mode = 0640` is turned into 416 before parsing
 *   (octalModeLiterals in hcl-modes.ts), as Vault's HCL 1 reads it.
 * - `octal-digits`: the decimal digits are the octal digits written (`0600`, read by HCL 2 as 600,
 *   is 0600): `socket_mode`, a string in Vault, written as a number.
 */
export function optionalFileMode(
  body: Body,
  name: string,
  where: string,
  numbers: 'value' | 'octal-digits' = 'octal-digits',
): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  const invalidMode = () => invalid(`${where}: "${name}" must be an octal file mode such as 0600`);
  if (numbers === 'value' && typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0o7777) throw invalidMode();
    return value;
  }
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^0?[0-7]{1,4}$/.test(text.trim())) throw invalidMode();
  return Number.parseInt(text.trim(), 8);
}
