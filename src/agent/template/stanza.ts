/**
 * Reading agent config blocks as @cdktf/hcl2json returns them (src/config/hcl.ts): a block is a list of
 * attribute objects (`template { … }` twice → two), a labelled block a map of lists. A JSON config may
 * give a block as a bare object. Errors name the field, never its value: a value may be a secret.
 */
import { parseDurationSecond } from '../../client/duration.js';

export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

export type Attributes = Record<string, unknown>;

function isObject(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bodies of an unlabelled block (`template`, `exec`), in order. */
export function blockList(raw: Attributes, key: string): Attributes[] {
  const value = raw[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((body, i) => {
    if (!isObject(body)) throw new AgentConfigError(`${key}[${i}]: expected a block`);
    return body;
  });
}

/** A block that may appear at most once (`template_config`, `exec`, `wait`). */
export function singleBlock(raw: Attributes, key: string, where = key): Attributes | undefined {
  const list = blockList(raw, key);
  if (list.length > 1) throw new AgentConfigError(`${where}: only one block is allowed`);
  return list[0];
}

/** The bodies of a labelled block (`env_template "NAME" { … }`) by label. */
export function labelledBlocks(raw: Attributes, key: string): [string, Attributes][] {
  const value = raw[key];
  if (value === undefined) return [];
  if (!isObject(value)) throw new AgentConfigError(`${key}: expected labelled blocks`);
  return Object.entries(value).map(([label, bodies]) => {
    const list = Array.isArray(bodies) ? bodies : [bodies];
    if (list.length !== 1 || !isObject(list[0])) {
      throw new AgentConfigError(`${key} "${label}": expected exactly one block`);
    }
    return [label, list[0]];
  });
}

/** Reads one block's attributes with type checks; `done()` refuses the ones nobody asked for. */
export class FieldReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly body: Attributes,
    readonly where: string,
  ) {}

  fail(field: string, message: string): never {
    throw new AgentConfigError(`${this.where}: ${field}: ${message}`);
  }

  private get(field: string): unknown {
    this.seen.add(field);
    return this.body[field];
  }

  /** The raw value, without marking the field as read. */
  peek(field: string): unknown {
    return this.body[field];
  }

  has(field: string): boolean {
    return this.body[field] !== undefined;
  }

  string(field: string, max = 4096): string | undefined {
    const value = this.get(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(field, 'expected a string');
    if (value.length > max) this.fail(field, `longer than ${max} characters`);
    return value;
  }

  /** A string or number, unconverted. */
  scalar(field: string): string | number | undefined {
    const value = this.get(field);
    if (value === undefined || typeof value === 'string' || typeof value === 'number') return value;
    return this.fail(field, 'expected a string or a number');
  }

  bool(field: string, fallback: boolean): boolean {
    const value = this.get(field);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(field, 'expected true or false');
  }

  number(field: string, fallback: number, check: (n: number) => boolean, rule: string): number {
    const value = this.get(field);
    if (value === undefined) return fallback;
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || !check(n)) this.fail(field, rule);
    return n;
  }

  /** A duration in milliseconds: `"30s"`, `"5m"`, or a number of seconds, as Vault's parser takes. */
  durationMs(field: string, fallbackMs: number): number {
    const value = this.get(field);
    if (value === undefined) return fallbackMs;
    if (typeof value !== 'string' && typeof value !== 'number') this.fail(field, 'expected a duration');
    let ns: bigint;
    try {
      ns = parseDurationSecond(String(value));
    } catch {
      return this.fail(field, 'expected a duration such as "30s" or "5m"');
    }
    if (ns < 0n) this.fail(field, 'must not be negative');
    return Number(ns / 1_000_000n);
  }

  /** A command: a list of arguments, or (where Vault takes one) a string that runs through `sh -c`. */
  command(field: string, allowString = true): string[] | undefined {
    const value = this.get(field);
    if (value === undefined) return undefined;
    if (typeof value === 'string' && allowString) {
      return value.trim() === '' ? undefined : ['/bin/sh', '-c', value];
    }
    if (!Array.isArray(value) || value.length === 0 || value.some((arg) => typeof arg !== 'string')) {
      this.fail(
        field,
        allowString
          ? 'expected a non-empty list of strings or a string'
          : 'expected a non-empty list of strings',
      );
    }
    return value as string[];
  }

  block(field: string): Attributes | undefined {
    this.seen.add(field);
    return singleBlock(this.body, field, `${this.where}.${field}`);
  }

  done(): void {
    for (const field of Object.keys(this.body)) {
      if (!this.seen.has(field)) this.fail(field, 'unknown field');
    }
  }
}
