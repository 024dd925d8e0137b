/**
 * Go `flag`-package parsing, as the vault CLI uses it: `-name=value`, `-name value`, `--name`; flags stop at
 * the first positional argument or `--`; booleans take `=value` only; repeatable slices and `k=v` maps.
 */
import { parseDurationSecond } from '../client/duration.js';
import { parseGoBool } from '../client/env.js';

export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'stringSlice' | 'stringMap';
export type FlagValue = boolean | string | number | bigint | string[] | Record<string, string>;

export interface FlagDef {
  name: string;
  kind: FlagKind;
  usage: string;
  aliases?: string[];
  default?: FlagValue;
  /** Left out of help (aliases such as `-ns`). */
  hidden?: boolean;
}

export class FlagError extends Error {
  /** `-h`/`-help` was given: show help, exit 0. */
  readonly help: boolean;

  constructor(message: string, help = false) {
    super(message);
    this.name = 'FlagError';
    this.help = help;
  }
}

const quote = (s: string) => JSON.stringify(s);

function convert(def: FlagDef, raw: string, current: FlagValue | undefined): FlagValue {
  switch (def.kind) {
    case 'bool': {
      const value = parseGoBool(raw);
      if (value === undefined) throw new Error(`strconv.ParseBool: parsing ${quote(raw)}: invalid syntax`);
      return value;
    }
    case 'int':
      if (!/^[-+]?\d+$/.test(raw.trim()))
        throw new Error(`strconv.ParseInt: parsing ${quote(raw)}: invalid syntax`);
      return Number.parseInt(raw, 10);
    case 'duration':
      // "system" means "use the system default", sent as -1 (vault's flag does the same).
      return parseDurationSecond(raw === 'system' ? '-1' : raw);
    case 'stringSlice':
      return [...((current as string[] | undefined) ?? []), raw.trim()];
    case 'stringMap': {
      const at = raw.indexOf('=');
      if (at === -1) throw new Error(`${quote(raw)} is not a key=value pair`);
      return {
        ...((current as Record<string, string> | undefined) ?? {}),
        [raw.slice(0, at)]: raw.slice(at + 1),
      };
    }
    default:
      return raw;
  }
}

export class ParsedFlags {
  constructor(
    private readonly values: Map<string, FlagValue>,
    /** Canonical names of the flags given on the command line. */
    readonly given: Set<string>,
    readonly args: string[],
  ) {}

  isSet(name: string): boolean {
    return this.given.has(name);
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  string(name: string): string {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : '';
  }

  int(name: string): number {
    const value = this.values.get(name);
    return typeof value === 'number' ? value : 0;
  }

  /** Nanoseconds. */
  duration(name: string): bigint {
    const value = this.values.get(name);
    return typeof value === 'bigint' ? value : 0n;
  }

  list(name: string): string[] {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : [];
  }

  map(name: string): Record<string, string> | undefined {
    const value = this.values.get(name);
    return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  }
}

/** The flag an argument names (`-x`, `--x`, `-x=v`), with its inline value if any. */
function splitFlag(
  arg: string,
  byName: Map<string, FlagDef>,
): { def: FlagDef; name: string; inline?: string } {
  const body = arg.slice(arg[1] === '-' ? 2 : 1);
  if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
  const eq = body.indexOf('=');
  const name = eq === -1 ? body : body.slice(0, eq);
  const def = byName.get(name);
  if (!def) {
    if (name === 'h' || name === 'help') throw new FlagError('flag: help requested', true);
    throw new FlagError(`flag provided but not defined: -${name}`);
  }
  return { def, name, inline: eq === -1 ? undefined : body.slice(eq + 1) };
}

export function parseFlags(defs: FlagDef[], args: string[]): ParsedFlags {
  const byName = new Map<string, FlagDef>();
  for (const def of defs) for (const name of [def.name, ...(def.aliases ?? [])]) byName.set(name, def);
  const values = new Map<string, FlagValue>();
  for (const def of defs) if (def.default !== undefined) values.set(def.name, def.default);
  const given = new Set<string>();
  let i = 0;
  while (i < args.length) {
    const arg = args[i];
    if (arg.length < 2 || arg[0] !== '-') break;
    i++;
    if (arg === '--') break;
    const { def, name, inline } = splitFlag(arg, byName);
    let raw: string;
    if (inline !== undefined) raw = inline;
    else if (def.kind === 'bool') raw = 'true';
    else if (i < args.length) raw = args[i++];
    else throw new FlagError(`flag needs an argument: -${name}`);
    try {
      values.set(def.name, convert(def, raw, given.has(def.name) ? values.get(def.name) : undefined));
    } catch (error) {
      const what =
        def.kind === 'bool'
          ? `invalid boolean value ${quote(raw)} for -${name}`
          : `invalid value ${quote(raw)} for flag -${name}`;
      throw new FlagError(`${what}: ${(error as Error).message}`);
    }
    given.add(def.name);
  }
  return new ParsedFlags(values, given, args.slice(i));
}

/** Vault's warning when flags follow positional arguments (they are taken as arguments, not flags). */
export function trailingFlagWarning(args: string[]): string | undefined {
  const trailing = args.filter((a) => a.startsWith('-') && a !== '-');
  if (trailing.length === 0) return undefined;
  return (
    'Command flags must be provided before positional arguments. The following arguments will not be ' +
    `parsed as flags: [${trailing.join(',')}]`
  );
}

/** Help text of a flag list, one entry per flag, aliases folded in. */
export function flagHelp(defs: FlagDef[]): string {
  return defs
    .filter((d) => !d.hidden)
    .map((d) => {
      const names = [d.name, ...(d.aliases ?? [])].map((n) => `-${n}`).join(', ');
      const example =
        d.kind === 'bool'
          ? ''
          : `=<${d.kind === 'stringMap' ? 'key=value' : d.kind.replace('stringSlice', 'string')}>`;
      return `  ${names}${example}\n      ${d.usage}`;
    })
    .join('\n\n');
}
