/**
 * An engine (secrets engine or auth method) is a table of paths plus the lease types it hands out.
 * `handleRequest` is the request pipeline for one mount: match, validate, existence check, run.
 */
import { CofferError, invalid, notFound, unsupported } from '../core/errors.js';
import type { Fields } from './fields.js';
import type { LogicalRequest, LogicalResponse, Operation } from './logical.js';
import { andThen, attempt, type MaybePromise } from './maybe-promise.js';
import { type CompiledPath, type EngineContext, literalFirstSegment } from './path.js';

/** Renew and revoke for the leases an engine issues (database credentials, tokens of a test engine…). */
export interface SecretType {
  type: string;
  renew?(ctx: EngineContext, lease: LeaseView): Promise<LogicalResponse | undefined>;
  revoke(ctx: EngineContext, lease: LeaseView): Promise<void>;
}

export interface LeaseView {
  leaseId: string;
  internalData: Record<string, unknown>;
  issueTime: number;
  expireTime: number;
  increment?: number;
}

/** What a token minted at login carries back to its auth method when it is renewed. */
export interface LoginView {
  internalData: Record<string, unknown>;
  metadata: Record<string, string> | null;
  policies: readonly string[];
}

/** The login's role or user as it is now: its token settings, in seconds (0: not set). */
export interface LoginRenewal {
  ttlSeconds: number;
  maxTtlSeconds: number;
  periodSeconds: number;
}

export interface EngineDefinition {
  type: string;
  paths: CompiledPath[];
  secrets?: SecretType[];
  help: string;
  /**
   * An auth method's say on renewing a token it minted (Vault's pathLoginRenew): throws to refuse (the
   * role is gone), else gives the role's current token settings, which the renewal follows.
   */
  renewLogin?(ctx: EngineContext, login: LoginView): Promise<LoginRenewal>;
  /**
   * The role a login request's body names (Vault's ResolveRoleOperation), for role-scoped rate-limit
   * quotas; undefined when it names none that exists. Absent: the method has no roles to limit.
   */
  resolveRole?(ctx: EngineContext, data: Record<string, unknown>): Promise<string | undefined>;
  /** Runs when the mount is set up (and after every unseal). */
  initialize?(ctx: EngineContext): Promise<void>;
  /** Runs when the mount is torn down (seal, disable): close pools, stop timers. */
  cleanup?(ctx: EngineContext): Promise<void>;
}

export interface Route {
  pattern: string;
  operations: Operation[];
  unauthenticated: boolean;
}

export interface Engine extends EngineDefinition {
  routes(): Route[];
  /** Undefined when the matched path declares no existence check (then writes are updates). */
  exists(ctx: EngineContext, req: LogicalRequest): MaybePromise<boolean | undefined>;
  isUnauthenticated(path: string): boolean;
  /** A handler that answered from cache answers at once (see MaybePromise). */
  handleRequest(ctx: EngineContext, req: LogicalRequest): MaybePromise<LogicalResponse | undefined>;
  helpFor(path: string): LogicalResponse;
}

type Found = { path: CompiledPath; captures: Record<string, string> };

/**
 * An engine's paths, matched in declaration order (the first match wins), but only among those that
 * can match: a pattern whose first segment is literal (`leases/renew`) is tried only for paths with
 * that first segment, a pattern that captures within it (`*path`) for every path. `sys/` has 59
 * patterns, and a renewal was tried against 32 of them, up to three times a request.
 */
export class PathTable {
  private readonly bySegment = new Map<string, readonly CompiledPath[]>();
  private readonly open: readonly CompiledPath[];

  constructor(paths: readonly CompiledPath[]) {
    const segments = paths.map((p) => literalFirstSegment(p.pattern));
    this.open = paths.filter((_, i) => segments[i] === undefined);
    for (const segment of new Set(segments)) {
      if (segment === undefined) continue;
      this.bySegment.set(
        segment,
        paths.filter((_, i) => segments[i] === segment || segments[i] === undefined),
      );
    }
  }

  find(path: string): Found | undefined {
    const slash = path.indexOf('/');
    const candidates = this.bySegment.get(slash === -1 ? path : path.slice(0, slash)) ?? this.open;
    for (const candidate of candidates) {
      const captures = candidate.match(path);
      if (captures) return { path: candidate, captures };
    }
    return undefined;
  }
}

/**
 * A handler may change what it was given, so a list or map default is copied per request; a
 * primitive is already immutable (structuredClone cost 0.2-0.6 us a field, on every request).
 */
function copyOfDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** Parses the declared fields; unknown ones are dropped with Vault's warning. */
export function parseInput(
  fields: Fields,
  data: Record<string, unknown>,
  captures: Record<string, string>,
  applyDefaults: boolean,
): { input: Record<string, unknown>; warnings: string[] } {
  const input: Record<string, unknown> = {};
  const ignored: string[] = [];
  // A path's captures win over body fields of the same name. Plain loops, not entries() of a merged
  // copy: this runs on every request and the copies were a measurable share of a KV read.
  const take = (name: string, value: unknown) => {
    const declared = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!declared) ignored.push(name);
    else if (value !== null && value !== undefined) input[name] = declared.parse(value, name);
  };
  for (const name of Object.keys(data)) if (!Object.hasOwn(captures, name)) take(name, data[name]);
  for (const name of Object.keys(captures)) take(name, captures[name]);
  for (const name of Object.keys(fields)) {
    const declared = fields[name];
    if (input[name] !== undefined) continue;
    if (applyDefaults && declared.default !== undefined) input[name] = copyOfDefault(declared.default);
    else if (declared.required) throw invalid(`missing ${name}`);
  }
  const warnings = ignored.length
    ? [`Endpoint ignored these unrecognized parameters: [${ignored.sort().join(' ')}]`]
    : [];
  return { input, warnings };
}

function pickHandler(path: CompiledPath, operation: Operation) {
  const ops = path.operations;
  if (operation === 'create') return ops.create ?? ops.update;
  if (operation === 'update') return ops.update ?? ops.create;
  return ops[operation];
}

/** The handler's response with the input's warnings (unknown fields) added to its own. */
function withWarnings(
  response: LogicalResponse | undefined,
  warnings: string[],
): LogicalResponse | undefined {
  if (warnings.length === 0) return response;
  return { ...response, warnings: [...(response?.warnings ?? []), ...warnings] };
}

export function defineEngine(definition: EngineDefinition): Engine {
  const { paths } = definition;
  const table = new PathTable(paths);
  return {
    ...definition,
    routes: () =>
      paths.map((p) => ({
        pattern: p.pattern,
        operations: Object.keys(p.operations) as Operation[],
        unauthenticated: p.unauthenticated,
      })),

    isUnauthenticated: (path) => table.find(path)?.path.unauthenticated ?? false,

    exists(ctx, req) {
      // Not async, as handleRequest: a write to a cached key learns it exists without a turn.
      return attempt(() => {
        const found = table.find(req.path);
        if (!found?.path.exists) return undefined;
        const { input } = parseInput(found.path.fields, {}, found.captures, false);
        return found.path.exists(ctx, input, req);
      });
    },

    handleRequest(ctx, req) {
      // Not async, so that a cached answer costs no turn (see MaybePromise); a throw stays a rejection.
      return attempt(() => {
        const found = table.find(req.path);
        if (!found) throw notFound('unsupported path');
        const handler = pickHandler(found.path, req.operation);
        if (!handler) throw unsupported();
        const applyDefaults = req.operation !== 'update' && req.operation !== 'patch';
        const parsed = parseInput(found.path.fields, req.data, found.captures, applyDefaults);
        const { input } = parsed;
        const warnings = found.path.freeformData ? [] : parsed.warnings;
        return andThen(handler(ctx, input, req), (response) => withWarnings(response ?? undefined, warnings));
      });
    },

    helpFor(path) {
      const found = table.find(path);
      if (!found) throw new CofferError('not_found', 'unsupported path');
      const fields = Object.fromEntries(
        Object.entries(found.path.fields).map(([name, f]) => [
          name,
          { type: f.kind, description: f.description, default: f.default, required: f.required ?? false },
        ]),
      );
      return {
        data: {
          help: `${found.path.pattern}\n\n${found.path.help}`,
          see_also: null,
          openapi: { pattern: found.path.pattern, operations: Object.keys(found.path.operations), fields },
        },
      };
    },
  };
}
