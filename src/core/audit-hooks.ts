/**
 * What the pipeline tells the audit broker: one request entry before the engine runs (fail closed)
 * and one response entry after (a response that cannot be audited is withheld and undone).
 */

import type { AuditBroker } from '../audit/broker.js';
import type { AuditInput, AuditResponseInput } from '../audit/entry.js';
import type { AuditedHeaders } from '../audit/request-headers.js';
import type { LogicalRequest } from '../framework/logical.js';
import type { Core } from './core.js';
import { CofferError, multiErrorText } from './errors.js';
import type { MountRuntime } from './mount-manager.js';
import { routePrefix } from './mounts.js';
import type { CoreResponse, IncomingRequest } from './request-types.js';
import { withIdentity } from './token/entry.js';
import type { TokenEntry } from './token/store.js';

/** Shared, so an audited request of a token without an entity allocates nothing for it. */
const NO_POLICIES: string[] = [];

/**
 * The audit cache key of an entity's token, and the identity policies it was made for. The key holds
 * the token's merged policy list, so a request with the same identity does not merge it again.
 */
const identityKeys = new WeakMap<
  TokenEntry,
  { identityPolicies: readonly string[]; key: { policies: string[] } }
>();

/**
 * What the audit devices cache a token's serialized `auth` block under. The cached entry object is
 * replaced whenever the token changes (a use spent, a renewal). A token with an entity also shows its
 * identity policies, which change without the entry changing: the identity store hands out a new
 * policy list after every identity write, so the key is kept only while the list is the same one.
 */
export function auditIdentityOf(entry: TokenEntry | undefined, identityPolicies: readonly string[]) {
  if (!entry?.entityId) return entry;
  const known = identityKeys.get(entry);
  if (known?.identityPolicies === identityPolicies) return known.key;
  const key = {
    policies: identityPolicies.length ? withIdentity(entry.policies, identityPolicies) : entry.policies,
  };
  identityKeys.set(entry, { identityPolicies, key });
  return key;
}

export function auditInputOf(
  req: IncomingRequest,
  logical: LogicalRequest,
  runtime: MountRuntime,
  entry: TokenEntry | undefined,
  auditedHeaders: AuditedHeaders,
  identityPolicies: string[] = NO_POLICIES,
): AuditInput {
  // A token without an entity is its own key, and its policies are its own.
  const authIdentity = auditIdentityOf(entry, identityPolicies);
  return {
    // The request headers `sys/config/auditing/request-headers` asks for, HMAC'd where it says so.
    ...auditedHeaders.pick(req.headers),
    requestId: req.id,
    operation: logical.operation,
    path: req.path,
    data: req.data,
    clientToken: req.token,
    clientTokenAccessor: entry?.accessor || undefined,
    remoteAddress: req.clientAddr,
    remotePort: req.clientPort,
    wrapTtl: req.wrapTtlSeconds,
    mount: { point: routePrefix(runtime.entry), type: runtime.entry.type, accessor: runtime.entry.accessor },
    auth: entry && {
      displayName: entry.displayName,
      policies: authIdentity!.policies,
      tokenPolicies: entry.policies,
      identityPolicies: identityPolicies.length ? identityPolicies : undefined,
      metadata: entry.meta ?? undefined,
      entityId: entry.entityId || undefined,
      tokenType: entry.type,
      numUses: entry.numUses,
    },
    authIdentity,
    nonHmacRequestKeys: runtime.entry.config.auditNonHmacRequestKeys,
    nonHmacResponseKeys: runtime.entry.config.auditNonHmacResponseKeys,
  };
}

/**
 * The entry is built only when a device will record it: `input` is called after `hasDevices()`, and
 * returns the same object every time so that both entries share their serialized parts.
 */
type Input = () => AuditInput;

const NOTHING_TO_LOG = Promise.resolve();

/**
 * `write(audit)` when a device is enabled, chained rather than awaited (see AuditBroker.fanOut). A
 * sealed core's 503 rejects as it is; a write that throws or rejects fails as `notLogged` says.
 */
function logWith(
  core: Core,
  write: (audit: AuditBroker) => Promise<void>,
  notLogged: () => Promise<never>,
): Promise<void> {
  let audit: AuditBroker;
  try {
    audit = core.unsealed.audit;
  } catch (error) {
    return Promise.reject(error);
  }
  if (!audit.hasDevices()) return NOTHING_TO_LOG;
  let written: Promise<void>;
  try {
    written = write(audit);
  } catch {
    return notLogged();
  }
  return written.catch(notLogged);
}

/** Fail closed: with devices enabled and none recording, the operation never runs. */
export function auditRequest(core: Core, input: Input, login: boolean): Promise<void> {
  return logWith(
    core,
    (audit) => audit.logRequest(input()),
    // Vault's texts: the multierror form for authenticated requests, the plain one on login paths.
    () =>
      Promise.reject(
        new CofferError('internal', login ? 'internal error' : multiErrorText(['internal error'])),
      ),
  );
}

/** `made`: what the request created for its client, to revoke if the response cannot be recorded. */
export function auditResponse(
  core: Core,
  input: Input,
  result: CoreResponse,
  made: Undelivered,
): Promise<void> {
  return logWith(
    core,
    (audit) => audit.logResponse(input(), { response: auditedResponse(result) }),
    async () => {
      await revokeUndelivered(core, { ...made, wrapAccessor: result.wrapInfo?.accessor });
      throw new CofferError('internal', 'internal error');
    },
  );
}

function auditedResponse(result: CoreResponse): AuditResponseInput['response'] {
  const auth = result.auth;
  return {
    data: result.response?.data,
    warnings: result.response?.warnings,
    secret: result.leaseId ? { leaseId: result.leaseId } : undefined,
    auth: auth && {
      clientToken: String(auth.client_token ?? ''),
      accessor: String(auth.accessor ?? ''),
      policies: auth.policies as string[] | undefined,
      tokenPolicies: auth.token_policies as string[] | undefined,
      identityPolicies: auth.identity_policies as string[] | undefined,
      metadata: (auth.metadata as Record<string, string> | null) ?? undefined,
      entityId: String(auth.entity_id ?? ''),
      tokenType: String(auth.token_type ?? ''),
      leaseDuration: Number(auth.lease_duration ?? 0),
    },
    wrapInfo: result.wrapInfo && {
      token: String(result.wrapInfo.token),
      accessor: String(result.wrapInfo.accessor),
      ttl: Number(result.wrapInfo.ttl),
      creationTime: String(result.wrapInfo.creation_time),
      creationPath: String(result.wrapInfo.creation_path),
      wrappedAccessor: result.wrapInfo.wrapped_accessor as string | undefined,
    },
  };
}

/**
 * What a request made for a client that will never receive it: a new lease, a new token, a wrapping
 * token. Never what the client already holds (a renewed lease or token): that stays valid.
 */
export interface Undelivered {
  leaseId?: string;
  tokenAccessor?: unknown;
  wrapAccessor?: unknown;
}

/**
 * A credential the client will never see must not stay valid. Our improvement on Vault, which
 * answers 500 but leaves the secret live until its TTL: the lease the request registered is revoked
 * at the source now, and if the source refuses, the lease is kept and retried with backoff like an
 * expired one (a forced revoke would forget it and leave the credential live with nothing to end it).
 */
export async function revokeUndelivered(core: Core, made: Undelivered): Promise<void> {
  const state = core.unsealed;
  if (made.leaseId) await state.expiration.revokeQueued(made.leaseId).catch(() => undefined);
  for (const accessor of [made.tokenAccessor, made.wrapAccessor]) {
    if (typeof accessor === 'string' && accessor)
      await state.tokens.revokeAccessor(accessor).catch(() => undefined);
  }
}

/** A request that failed after its request entry was written: its response entry carries the error. */
export async function auditFailure(core: Core, input: Input, error: unknown): Promise<void> {
  const audit = core.unsealed.audit;
  if (!audit.hasDevices()) return;
  await audit.logResponse(input(), { error: errorText(error) }).catch(() => undefined);
}

/**
 * A request refused before it ran (no token, a bad token, the ACL): a request entry and a response
 * entry, both with the error, so every audited request has its pair (SECURITY.md E5). Best effort:
 * the request is refused whatever the devices do.
 */
export async function auditRefusal(core: Core, input: Input, error: unknown): Promise<void> {
  const audit = core.unsealed.audit;
  if (!audit.hasDevices()) return;
  const refused = { ...input(), error: errorText(error) };
  await audit.logRequest(refused).catch(() => undefined);
  await audit.logResponse(refused, { error: refused.error }).catch(() => undefined);
}

function errorText(error: unknown): string {
  return error instanceof CofferError ? error.message : 'internal error';
}
