/**
 * One declaration per endpoint. A pattern is a template, not a regex: `roles/:name` captures one
 * segment, `data/*path` captures the rest (at least one character), and a LIST pattern ends in `/`.
 */
import type { Clock } from './clock.js';
import type { Field, Fields, Input } from './fields.js';
import type { Logger } from './log.js';
import type { LogicalRequest, LogicalResponse, Operation } from './logical.js';
import type { MaybePromise } from './maybe-promise.js';
import type { StorageView } from './storage-view.js';

/** Vault's user lockout: `threshold` failures, each within `counterResetMs` of the last, lock for `durationMs`. */
export interface LockoutPolicy {
  threshold: number;
  durationMs: number;
  counterResetMs: number;
}

/** What a mount may know about its own configuration. */
export interface SystemView {
  readonly mountPath: string;
  readonly mountType: string;
  readonly mountUuid: string;
  /** Effective TTLs in seconds (the mount's tuning, else the server's). */
  defaultLeaseTtl(): number;
  maxLeaseTtl(): number;
  options(): Record<string, string>;
  /**
   * The user lockout policy in force for this mount (server config and the mount's tuning), or
   * undefined when lockout is disabled. Absent outside a server (engine unit tests use their own).
   */
  userLockout?(): LockoutPolicy | undefined;
  /**
   * The address clients reach the server at (config `api_addr`, else the first listener's), for
   * URLs a mount publishes (the identity token issuer). Absent outside a server.
   */
  apiAddr?(): string;
}

export interface EngineContext {
  readonly storage: StorageView;
  readonly log: Logger;
  readonly clock: Clock;
  readonly system: SystemView;
}

// biome-ignore lint/suspicious/noConfusingVoidType: handlers that answer 204 simply return nothing
export type HandlerResult = LogicalResponse | undefined | void;
export type Handler<F extends Fields> = (
  ctx: EngineContext,
  input: Input<F>,
  req: LogicalRequest,
) => Promise<HandlerResult> | HandlerResult;

export interface PathDefinition<F extends Fields> {
  pattern: string;
  fields?: F;
  operations: Partial<Record<Operation, Handler<F>>>;
  /** Decides create vs update for the ACL; without it every write is an update. */
  exists?: (ctx: EngineContext, input: Input<F>, req: LogicalRequest) => MaybePromise<boolean>;
  /** Served without a token (login paths). */
  unauthenticated?: boolean;
  /** The body is free-form secret data (KV v1, cubbyhole): undeclared keys are expected, not warned about. */
  freeformData?: boolean;
  /**
   * The `*` capture names a key, never a folder: a path ending in `/` does not match, so it is an
   * unsupported path (Vault's KV-v2 `data/(?P<path>.*?[^/]$)`).
   */
  keyOnly?: boolean;
  help: string;
}

export interface CompiledPath {
  readonly pattern: string;
  readonly fields: Fields;
  readonly operations: Partial<Record<Operation, Handler<Fields>>>;
  readonly exists?: PathDefinition<Fields>['exists'];
  readonly unauthenticated: boolean;
  readonly freeformData: boolean;
  readonly help: string;
  match(path: string): Record<string, string> | undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A capture in a pattern: `:name` (one segment) or `*name` (the rest). */
const CAPTURE = /(:[a-z_][a-z0-9_]*|\*[a-z_][a-z0-9_]*)/i;

/**
 * The literal first segment every path the pattern matches starts with (`leases` for
 * `leases/renew/*id`, `` for the empty pattern), or undefined when a capture begins inside it.
 */
export function literalFirstSegment(pattern: string): string | undefined {
  const capture = CAPTURE.exec(pattern);
  const literal = capture ? pattern.slice(0, capture.index) : pattern;
  const slash = literal.indexOf('/');
  if (slash !== -1) return literal.slice(0, slash);
  return capture ? undefined : literal;
}

function compilePattern(pattern: string, keyOnly: boolean): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  for (const part of pattern.split(CAPTURE)) {
    if (part.startsWith(':')) {
      names.push(part.slice(1));
      source += '([^/]+)';
    } else if (part.startsWith('*')) {
      names.push(part.slice(1));
      source += keyOnly ? '(.*[^/])' : '(.+)';
    } else {
      source += escapeRegex(part);
    }
  }
  return { regex: new RegExp(`^${source}$`, 's'), names };
}

export function definePath<F extends Fields>(definition: PathDefinition<F>): CompiledPath {
  const { regex, names } = compilePattern(definition.pattern, definition.keyOnly ?? false);
  return {
    pattern: definition.pattern,
    fields: (definition.fields ?? {}) as Fields,
    operations: definition.operations as Partial<Record<Operation, Handler<Fields>>>,
    exists: definition.exists as PathDefinition<Fields>['exists'],
    unauthenticated: definition.unauthenticated ?? false,
    freeformData: definition.freeformData ?? false,
    help: definition.help,
    match(path) {
      const found = regex.exec(path);
      if (!found) return undefined;
      const captures: Record<string, string> = {};
      names.forEach((name, i) => {
        captures[name] = found[i + 1];
      });
      return captures;
    },
  };
}

export type { Field, Fields, Input };
