/** Vault's JSON audit entries (`type: request` / `type: response`), built from a typed input and hashed per device. */
import { elideListData, type HashFn, hashEntry } from './hash.js';
import type { FormatConfig } from './options.js';

export interface AuditInput {
  requestId: string;
  operation: string;
  path: string;
  data?: Record<string, unknown>;
  clientToken?: string;
  clientTokenAccessor?: string;
  remoteAddress?: string;
  remotePort?: number;
  wrapTtl?: number;
  mount?: { point: string; type: string; accessor: string };
  auth?: {
    displayName?: string;
    policies?: string[];
    tokenPolicies?: string[];
    /** The policies the token's entity and its groups add. */
    identityPolicies?: string[];
    metadata?: Record<string, string>;
    entityId?: string;
    tokenType?: string;
    tokenTtl?: number;
    tokenIssueTime?: string;
    numUses?: number;
    policyResults?: {
      allowed: boolean;
      grantingPolicies?: { name: string; namespaceId?: string; type?: string }[];
    };
  };
  nonHmacRequestKeys?: string[];
  nonHmacResponseKeys?: string[];
  /** Audited request headers (names lower-case). `x-vault-token` and `authorization` are always HMAC'd. */
  headers?: Record<string, string[]>;
  /** Header names whose values are HMAC'd (`sys/config/auditing/request-headers` with `hmac: true`). */
  hmacHeaders?: string[];
  /** Why the request failed (also when it was refused before routing, e.g. permission denied). */
  error?: string;
  /**
   * Stands for `auth`, `clientToken` and `clientTokenAccessor`: two inputs with the same identity
   * (a cached token entry, replaced whenever the token changes) have the same auth block, so a device
   * serializes it once per token rather than once per request.
   */
  authIdentity?: object;
}

export interface AuditResponseInput extends AuditInput {
  response?: {
    data?: Record<string, unknown>;
    warnings?: string[];
    secret?: { leaseId: string };
    auth?: {
      clientToken?: string;
      accessor?: string;
      policies?: string[];
      tokenPolicies?: string[];
      identityPolicies?: string[];
      metadata?: Record<string, string>;
      displayName?: string;
      entityId?: string;
      tokenType?: string;
      leaseDuration?: number;
    };
    wrapInfo?: {
      token: string;
      accessor: string;
      ttl: number;
      creationTime: string;
      creationPath: string;
      wrappedAccessor?: string;
    };
  };
}

type Json = Record<string, unknown>;

/** Hashing rules for one device: its salt's HMAC, and whether accessors and anything at all are hashed. */
interface Hasher {
  secret(value: string): string;
  accessor(value: string): string;
  data(data: Json, nonHmacKeys: readonly string[] | undefined): Json;
}

const identity: HashFn = (value) => value;
/** Token-bearing headers are hashed whatever the header config says (CVE-2024-8365). */
const ALWAYS_HMAC_HEADERS = new Set(['x-vault-token', 'authorization']);

function hasherFor(config: FormatConfig, hash: HashFn): Hasher {
  if (config.logRaw) return { secret: identity, accessor: identity, data: (d) => hashEntry(d, identity) };
  // The device's hash is memoized (broker.ts): the token and accessor, which appear twice in an entry
  // and in every entry of a busy client, are HMAC'd once.
  return {
    secret: hash,
    accessor: config.hmacAccessor ? hash : identity,
    data: (d, keys) => hashEntry(d, hash, keys),
  };
}

/** Go's `omitempty`: empty strings, zero, false, and empty lists and maps are left out. */
function put(target: Json, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
  target[key] = value;
}

/** RFC 3339 with Go's `RFC3339Nano` trimming: `…:00.12Z`, or no fraction at all on a whole second. */
export function auditTime(ms: number): string {
  // Both entries of a request, and most requests of a busy millisecond, share one time.
  if (ms !== lastTime.ms) lastTime = { ms, text: new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z') };
  return lastTime.text;
}
let lastTime = { ms: Number.NaN, text: '' };

function authBlock(input: AuditInput, h: Hasher): Json {
  const auth = input.auth;
  const out: Json = {};
  if (auth) {
    put(out, 'client_token', input.clientToken && h.secret(input.clientToken));
    put(out, 'accessor', input.clientTokenAccessor && h.accessor(input.clientTokenAccessor));
    put(out, 'display_name', auth.displayName);
    put(out, 'policies', auth.policies);
    put(out, 'token_policies', auth.tokenPolicies);
    put(out, 'identity_policies', auth.identityPolicies);
    if (auth.policyResults) {
      const results: Json = { allowed: auth.policyResults.allowed };
      put(
        results,
        'granting_policies',
        auth.policyResults.grantingPolicies?.map((p) => ({
          name: p.name,
          namespace_id: p.namespaceId ?? 'root',
          type: p.type ?? 'acl',
        })),
      );
      out.policy_results = results;
    }
    put(out, 'metadata', auth.metadata);
    put(out, 'num_uses', auth.numUses);
    put(out, 'entity_id', auth.entityId);
  }
  // Vault writes its zero token type by name, so unauthenticated entries read {"token_type":"default"}.
  out.token_type = auth?.tokenType || 'default';
  put(out, 'token_ttl', auth?.tokenTtl);
  put(out, 'token_issue_time', auth?.tokenIssueTime);
  return out;
}

function headerBlock(input: AuditInput, h: Hasher): Json | undefined {
  if (!input.headers) return undefined;
  const hmac = new Set(input.hmacHeaders?.map((n) => n.toLowerCase()));
  const out: Json = {};
  for (const [name, values] of Object.entries(input.headers)) {
    const lower = name.toLowerCase();
    const hashed = ALWAYS_HMAC_HEADERS.has(lower) || hmac.has(lower);
    out[lower] = hashed ? values.map((v) => h.secret(v)) : [...values];
  }
  return out;
}

function requestBlock(input: AuditInput, h: Hasher): Json {
  const out: Json = {};
  put(out, 'id', input.requestId);
  put(out, 'operation', input.operation);
  put(out, 'mount_point', input.mount?.point);
  put(out, 'mount_type', input.mount?.type);
  put(out, 'mount_accessor', input.mount?.accessor);
  put(out, 'client_token', input.clientToken && h.secret(input.clientToken));
  put(out, 'client_token_accessor', input.clientTokenAccessor && h.accessor(input.clientTokenAccessor));
  out.namespace = { id: 'root' };
  put(out, 'path', input.path);
  put(out, 'data', input.data && h.data(input.data, input.nonHmacRequestKeys));
  put(out, 'remote_address', input.remoteAddress);
  put(out, 'remote_port', input.remotePort);
  put(out, 'wrap_ttl', input.wrapTtl);
  put(out, 'headers', headerBlock(input, h));
  return out;
}

type ResponseAuth = NonNullable<NonNullable<AuditResponseInput['response']>['auth']>;
type WrapInfo = NonNullable<NonNullable<AuditResponseInput['response']>['wrapInfo']>;

function responseAuthBlock(auth: ResponseAuth, h: Hasher): Json {
  const out: Json = {};
  put(out, 'client_token', auth.clientToken && h.secret(auth.clientToken));
  put(out, 'accessor', auth.accessor && h.accessor(auth.accessor));
  put(out, 'display_name', auth.displayName);
  put(out, 'policies', auth.policies);
  put(out, 'token_policies', auth.tokenPolicies);
  put(out, 'identity_policies', auth.identityPolicies);
  put(out, 'metadata', auth.metadata);
  put(out, 'entity_id', auth.entityId);
  out.token_type = auth.tokenType || 'default';
  put(out, 'token_ttl', auth.leaseDuration);
  return out;
}

function wrapInfoBlock(wrap: WrapInfo, h: Hasher): Json {
  const out: Json = {};
  put(out, 'ttl', wrap.ttl);
  put(out, 'token', wrap.token && h.secret(wrap.token));
  put(out, 'accessor', wrap.accessor && h.accessor(wrap.accessor));
  put(out, 'creation_time', wrap.creationTime);
  put(out, 'creation_path', wrap.creationPath);
  put(out, 'wrapped_accessor', wrap.wrappedAccessor && h.accessor(wrap.wrappedAccessor));
  return out;
}

function responseBlock(
  input: AuditInput,
  resp: NonNullable<AuditResponseInput['response']>,
  config: FormatConfig,
  h: Hasher,
): Json {
  const out: Json = {};
  if (resp.auth) out.auth = responseAuthBlock(resp.auth, h);
  put(out, 'mount_point', input.mount?.point);
  put(out, 'mount_type', input.mount?.type);
  put(out, 'mount_accessor', input.mount?.accessor);
  if (resp.secret?.leaseId) out.secret = { lease_id: resp.secret.leaseId };
  if (resp.data) {
    const elide = config.elideListResponses && input.operation === 'list';
    put(out, 'data', h.data(elide ? elideListData(resp.data) : resp.data, input.nonHmacResponseKeys));
  }
  put(out, 'warnings', resp.warnings);
  if (resp.wrapInfo) out.wrap_info = wrapInfoBlock(resp.wrapInfo, h);
  return out;
}

/** What a device needs to format an entry: its options, its salt's HMAC, and the entry's time. */
export interface EntryContext {
  config: FormatConfig;
  hash: HashFn;
  /** Milliseconds since the epoch. */
  now: number;
}

/**
 * The `auth` and `request` objects of one request as one device writes them, serialized once: the
 * request entry and the response entry carry the same two, so the response entry splices them in
 * rather than building and serializing them again (together they were half of an audited read).
 */
export interface EntryParts {
  auth: string;
  request: string;
}

/** `auth` serialized, from the device's per-token cache when the input names its token entry. */
function authPart(input: AuditInput, h: Hasher, cache?: WeakMap<object, string>): string {
  // Policy results are the request's own, not the token's: an entry that carries them is not shared.
  const identity = input.auth?.policyResults ? undefined : input.authIdentity;
  const cached = identity && cache?.get(identity);
  if (cached !== undefined) return cached;
  const auth = JSON.stringify(authBlock(input, h));
  if (identity) cache?.set(identity, auth);
  return auth;
}

export function entryParts(
  input: AuditInput,
  ctx: EntryContext,
  authCache?: WeakMap<object, string>,
): EntryParts {
  const h = hasherFor(ctx.config, ctx.hash);
  return { auth: authPart(input, h, authCache), request: JSON.stringify(requestBlock(input, h)) };
}

/** Key order as Vault writes it: time, type, auth, request, response, error. */
function line(type: string, now: number, parts: EntryParts, response: string | undefined, error?: string) {
  let text = `{"time":"${auditTime(now)}","type":"${type}","auth":${parts.auth},"request":${parts.request}`;
  if (response !== undefined) text += `,"response":${response}`;
  if (error) text += `,"error":${JSON.stringify(error)}`;
  return `${text}}`;
}

/** The request entry as one line of JSON (no newline): written before the request is handled. */
export function formatRequestEntry(
  input: AuditInput,
  ctx: EntryContext,
  parts = entryParts(input, ctx),
): string {
  return line('request', ctx.now, parts, undefined, input.error);
}

/** What the handler answered, or why it failed. */
export interface AuditOutcome {
  response?: AuditResponseInput['response'];
  error?: string;
}

/** The response entry as one line of JSON (no newline): written after the handler ran. */
export function formatResponseEntry(
  input: AuditInput,
  outcome: AuditOutcome,
  ctx: EntryContext,
  parts = entryParts(input, ctx),
): string {
  const h = hasherFor(ctx.config, ctx.hash);
  const response = JSON.stringify(responseBlock(input, outcome.response ?? {}, ctx.config, h));
  return line('response', ctx.now, parts, response, outcome.error ?? input.error);
}
