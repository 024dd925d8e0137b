/**
 * One logical request through the unsealed core: route → token → ACL → num-uses → engine → the
 * response's side effects (token minting for logins, leases for secrets).
 */

import type { AuditInput } from '../audit/entry.js';
import type {
  Caller,
  LogicalRequest,
  LogicalResponse,
  Operation,
  SecretLease,
} from '../framework/logical.js';
import { andThen, isPromise, type MaybePromise } from '../framework/maybe-promise.js';
import { type Acl, isSudoPath, type Verdict } from '../policy/acl.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy/builtin.js';
import {
  auditFailure,
  auditInputOf,
  auditRefusal,
  auditRequest,
  auditResponse,
  revokeUndelivered,
  type Undelivered,
} from './audit-hooks.js';
import { cidrAllows } from './cidr.js';
import type { Core, UnsealedState } from './core.js';
import { withDeadline } from './deadline.js';
import { CofferError, denied, deniedByPolicy, invalid, invalidToken } from './errors.js';
import { aclForToken, identityPoliciesOf } from './identity-acl.js';
import type { MountRuntime } from './mount-manager.js';
import { routePrefix } from './mounts.js';
import type { CoreResponse, IncomingRequest } from './request-types.js';
import { withIdentityPolicies } from './token/entry.js';
import type { TokenEntry } from './token/store.js';
import { legacyUnwrapResponse, NOT_VALID } from './wrapping.js';

/**
 * Answered at once when every stage is (a cached read with no audit device; see MaybePromise). Never
 * throws: every failure is a rejection, as from an async function.
 */
export function handleRequest(core: Core, req: IncomingRequest): MaybePromise<CoreResponse> {
  try {
    if (core.isSealed()) throw core.unavailable();
    const runtime = core.unsealed.mounts.route(req.path);
    if (!runtime) return core.serving(req, () => refuseUnrouted(core, req));
    const prefix = routePrefix(runtime.entry);
    const logical: LogicalRequest = {
      id: req.id,
      operation: req.operation,
      path: req.path.length >= prefix.length ? req.path.slice(prefix.length) : '',
      data: req.data,
      mountPoint: prefix,
      clientAddr: req.clientAddr,
      headers: req.headers,
    };
    // Held by the logical request, the one a handler sees: `sys/seal` hands it to sealVault.
    return core.serving(logical, () => serveRouted(core, runtime, req, logical));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Token → ACL → the engine → audit; a seal waits for all of it, the last use's revocation included.
 * Like the stages below it, it goes on at once from each stage that answered at once, and may throw
 * as well as reject: `core.serving` takes both.
 */
function serveRouted(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
): MaybePromise<CoreResponse> {
  const state = core.unsealed;
  const entry = req.token ? state.tokens.lookup(req.token) : undefined;
  if (isPromise(entry)) return entry.then((found) => serveAs(core, state, runtime, req, logical, found));
  return serveAs(core, state, runtime, req, logical, entry);
}

/** serveRouted, once the token's entry is known. */
function serveAs(
  core: Core,
  state: UnsealedState,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  entry: TokenEntry | undefined,
): MaybePromise<CoreResponse> {
  if (entry && !tokenUsableFrom(entry, req.clientAddr)) throw invalidToken();
  const unauthenticated = runtime.engine.isUnauthenticated(logical.path);
  let auditInput: AuditInput | undefined;
  const audited = () =>
    (auditInput ??= auditInputOf(
      req,
      logical,
      runtime,
      entry,
      state.auditedHeaders,
      entry?.entityId ? identityPoliciesOf(state, entry.entityId) : undefined,
    ));
  let lastUse: MaybePromise<boolean> = false;
  try {
    if (!unauthenticated) lastUse = authorize(core, state, runtime, logical, req, entry);
    else if (entry) logical.caller = callerOf(req.token!, entry, false);
    else if (req.token) logical.staleToken = true;
  } catch (error) {
    return refused(core, audited, error);
  }
  if (!isPromise(lastUse))
    return runAndSpend(core, state, runtime, req, logical, audited, unauthenticated, lastUse);
  return lastUse.then(
    (last) => runAndSpend(core, state, runtime, req, logical, audited, unauthenticated, last),
    (error) => refused(core, audited, error),
  );
}

/** runAuthorized, then the token's last use revoked if this was it. */
function runAndSpend(
  core: Core,
  state: UnsealedState,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  audited: () => AuditInput,
  unauthenticated: boolean,
  lastUse: boolean,
): MaybePromise<CoreResponse> {
  let result: MaybePromise<CoreResponse>;
  try {
    result = runAuthorized(core, runtime, req, logical, audited, unauthenticated);
  } catch (error) {
    result = Promise.reject(error);
  }
  return lastUse ? revokingAfter(core, state, req.token!, result) : result;
}

/** A request refused before it ran: audited as such, then failed with the same error. */
async function refused(core: Core, audited: () => AuditInput, error: unknown): Promise<never> {
  await auditRefusal(core, audited, error);
  throw error;
}

/** A token's last use is revoked once the request it allowed has finished (Vault's num_uses). */
async function revokingAfter(
  core: Core,
  state: UnsealedState,
  token: string,
  result: MaybePromise<CoreResponse>,
): Promise<CoreResponse> {
  try {
    return await result;
  } finally {
    if (!core.isSealed()) await state.tokens.revoke(token).catch(() => undefined);
  }
}

/**
 * A path no mount serves. As Vault does, the token and the ACL are checked before the route is: a
 * caller without a usable token, or whose policies do not reach the path, gets the same 403 as for a
 * mounted path, so mounts cannot be enumerated without a token (CVE-2020-25594). Only a caller the
 * path's ACL allows learns that nothing is mounted there.
 */
async function refuseUnrouted(core: Core, req: IncomingRequest): Promise<never> {
  if (!req.token) throw denied();
  const entry = await core.unsealed.tokens.lookup(req.token);
  if (!entry || !tokenUsableFrom(entry, req.clientAddr)) throw invalidToken();
  if (!(await aclVerdict(core, entry, req, req.operation)).allowed) throw deniedByPolicy();
  throw new CofferError('not_found', `no handler for route "${req.path}". route entry not found.`);
}

/** What the token's policies say of this request's path and operation. */
function aclVerdict(
  core: Core,
  entry: TokenEntry,
  req: IncomingRequest,
  operation: Operation,
): MaybePromise<Verdict> {
  return andThen(aclForToken(core.unsealed, entry.policies, entry.entityId), (acl) =>
    verdictOf(acl, req, operation),
  );
}

function verdictOf(acl: Acl, req: IncomingRequest, operation: Operation): Verdict {
  return acl.allowOperation({
    path: req.path,
    operation,
    data: req.data,
    wrapTtlSeconds: req.wrapTtlSeconds,
    requiresSudo: isSudoPath(req.path),
  });
}

/**
 * The engine's answer to an authorized request, finished, wrapped and audited. Answered at once when
 * the engine answers at once with nothing to mint, register or wrap, and no audit device is enabled
 * (a cached read); otherwise runAuthorizedAsync, from the engine's answer on if it was asked already.
 */
function runAuthorized(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  audited: () => AuditInput,
  unauthenticated: boolean,
): MaybePromise<CoreResponse> {
  if (core.unsealed.audit.hasDevices() || req.help || isLegacyUnwrap(req, logical))
    return runAuthorizedAsync(core, runtime, req, logical, audited, unauthenticated);
  const response = engineAnswer(core, runtime, req, logical);
  if (
    isPromise(response) ||
    core.isSealed() ||
    response?.auth ||
    response?.secret ||
    response?.wrapInfo ||
    wrapTtlOf(req)
  )
    return runAuthorizedAsync(core, runtime, req, logical, audited, unauthenticated, { response });
  // finishResponse's and maybeWrap's answer for such a response, without their awaits.
  return withLease(wrapResponse(req, runtime, response), response?.lease);
}

/** The engine's answer, bounded by the request's deadline. */
function engineAnswer(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
): MaybePromise<LogicalResponse | undefined> {
  return withDeadline(runtime.engine.handleRequest(runtime.ctx, logical), req.maxDurationMs, (late) =>
    undoLateResponse(core, runtime, req, logical, late),
  );
}

/** runAuthorized with every stage awaited. `asked`: the engine's answer, when runAuthorized asked already. */
async function runAuthorizedAsync(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  audited: () => AuditInput,
  unauthenticated: boolean,
  asked?: { response: MaybePromise<LogicalResponse | undefined> },
): Promise<CoreResponse> {
  const audit = core.unsealed.audit;
  // runAuthorized asks the engine only with no device enabled: there was no request entry to write.
  if (!asked) {
    if (audit.hasDevices()) await auditRequest(core, audited, unauthenticated);
    if (req.help) return wrapResponse(req, runtime, runtime.engine.helpFor(logical.path));
  }
  let made: Undelivered = {};
  let result: CoreResponse;
  try {
    let response = asked
      ? asked.response
      : isLegacyUnwrap(req, logical)
        ? legacyUnwrapResponse(await core.unsealed.wrapper.unwrap(logical.caller!.accessor!))
        : engineAnswer(core, runtime, req, logical);
    if (isPromise(response)) response = await response;
    // `sys/seal` ends the unsealed state mid-request; it has nothing more to add.
    if (core.isSealed()) return wrapResponse(req, runtime, response);
    let finished = finishResponse(core, runtime, req, logical, response);
    if (isPromise(finished)) finished = await finished;
    // Taken before wrapping, which moves the lease into the wrapped data, out of `result`.
    made = madeFor(response, finished);
    result = wrapsResponse(req, finished) ? await maybeWrap(core, req, finished) : finished;
  } catch (error) {
    // Wrapping failed after the response was finished: what it made would reach nobody.
    await revokeUndelivered(core, made);
    await auditFailure(core, audited, error);
    throw error;
  }
  if (audit.hasDevices()) await auditResponse(core, audited, result, made);
  return result;
}

/**
 * What this request made for its client: a new lease (a `secret`) and a new token (a login's, minted
 * here, or one the path made, `auth.created`). Not a renewed lease or token, which the client holds
 * already. Nor what an unwrap hands over (a `lease`, an `auth` not created here): it was made by the
 * wrapped request, and an unwrap whose answer is lost leaves it to its TTL.
 */
function madeFor(response: LogicalResponse | undefined, finished: CoreResponse): Undelivered {
  const auth = response?.auth;
  return {
    leaseId: response?.secret ? finished.leaseId : undefined,
    tokenAccessor: auth && (!auth.wire || auth.created) ? finished.auth?.accessor : undefined,
  };
}

/** A wrapping token reading `cubbyhole/response`: an unwrap in the form of Vault before 0.6.2. */
function isLegacyUnwrap(req: IncomingRequest, logical: LogicalRequest): boolean {
  const policies = logical.caller?.policies;
  return (
    req.path === 'cubbyhole/response' &&
    logical.operation === 'read' &&
    policies?.length === 1 &&
    policies[0] === RESPONSE_WRAPPING_POLICY_NAME &&
    Boolean(logical.caller?.accessor)
  );
}

/**
 * An engine answered after its request's deadline: the client got a 500 and will never see this
 * answer, so a credential it carries is revoked at its source (through a lease, so a failed
 * revocation is retried) and a token it made is revoked. A KV write that finished late stays written,
 * as in Vault.
 */
async function undoLateResponse(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  response: LogicalResponse | undefined,
): Promise<void> {
  const log = core.log.child('request');
  log.warn('request finished after max_request_duration; its result was discarded', { path: req.path });
  if (!response?.secret && !response?.auth?.created) return;
  if (core.isSealed()) {
    // No lease can be written while sealed: say so, the operator has to end it at its source.
    log.error('a credential made after max_request_duration was left live: the server was sealed', {
      path: req.path,
    });
    return;
  }
  try {
    // Through a lease, so that a revocation the source refuses is retried.
    const registered = response.secret
      ? await registerSecret(core, runtime, req, logical, response.secret)
      : undefined;
    await revokeUndelivered(core, {
      leaseId: registered?.lease.leaseId,
      // Only a token this request made; a renewal's is the caller's own, which stays valid.
      tokenAccessor: response.auth?.created ? response.auth.wire?.accessor : undefined,
    });
  } catch (error) {
    // The error's name only: a driver's message can carry a connection string.
    log.error('undoing a late response failed', {
      path: req.path,
      error: error instanceof Error ? error.name : 'error',
    });
  }
}

/** Sys paths whose answers are always wrapped, with Vault's default TTL when the client sent none. */
const ALWAYS_WRAPPED = new Set(['sys/wrapping/wrap']);
const DEFAULT_WRAP_TTL = 300;

/** Whether `maybeWrap` has anything to do: the engine's own wrap info, or a TTL to wrap with. */
function wrapsResponse(req: IncomingRequest, result: CoreResponse): boolean {
  return Boolean(result.response?.wrapInfo || wrapTtlOf(req));
}

function wrapTtlOf(req: IncomingRequest): number | undefined {
  return req.wrapTtlSeconds ?? (ALWAYS_WRAPPED.has(req.path) ? DEFAULT_WRAP_TTL : undefined);
}

async function maybeWrap(core: Core, req: IncomingRequest, result: CoreResponse): Promise<CoreResponse> {
  const response = result.response;
  if (response?.wrapInfo) return { ...result, wrapInfo: response.wrapInfo };
  const ttl = wrapTtlOf(req);
  if (!ttl || !response || (!response.data && !result.auth) || (response.httpStatus ?? 200) >= 400)
    return result;
  const wrapInfo = await core.unsealed.wrapper.wrap(
    {
      data: response.data ?? null,
      auth: result.auth ?? null,
      leaseId: result.leaseId,
      leaseDuration: result.leaseDuration,
      renewable: result.renewable,
      warnings: response.warnings?.length ? response.warnings : null,
    },
    ttl,
    req.path,
  );
  // Only wrap_info goes out: the lease (its id included) and warnings are inside the wrapped response.
  return { ...result, wrapInfo, mountType: '', leaseId: '', leaseDuration: 0, renewable: false };
}

/**
 * The token, the ACL and num_uses: whether this was the token's last use. Goes on at once from each
 * check that answered at once; throws or rejects when refused (serveAs takes both).
 */
function authorize(
  core: Core,
  state: UnsealedState,
  runtime: MountRuntime,
  logical: LogicalRequest,
  req: IncomingRequest,
  entry: TokenEntry | undefined,
): MaybePromise<boolean> {
  const token = req.token;
  if (!token) throw denied();
  // Vault answers a spent or unknown wrapping token on unwrap with its own 400, not the token 403.
  if (!entry && req.path === 'sys/wrapping/unwrap') throw invalid(NOT_VALID);
  if (!entry) throw invalidToken();
  if (logical.operation !== 'update') return permit(core, state, logical, req, token, entry);
  // The existence check may need to know the caller (cubbyhole is per token); spendUse sets the final one.
  logical.caller = callerOf(token, entry, false);
  const exists = runtime.engine.exists(runtime.ctx, logical);
  const onExists = (found: boolean | undefined) => {
    if (found === false) logical.operation = 'create';
    return permit(core, state, logical, req, token, entry);
  };
  return isPromise(exists) ? exists.then(onExists) : onExists(exists);
}

/** The ACL's verdict on the (final) operation, then the token's use. */
function permit(
  core: Core,
  state: UnsealedState,
  logical: LogicalRequest,
  req: IncomingRequest,
  token: string,
  entry: TokenEntry,
): MaybePromise<boolean> {
  const verdict = aclVerdict(core, entry, req, logical.operation);
  return isPromise(verdict)
    ? verdict.then((found) => spendUse(state, logical, token, entry, found))
    : spendUse(state, logical, token, entry, verdict);
}

/** num_uses: the use is spent only once the request is allowed, as Vault does. */
function spendUse(
  state: UnsealedState,
  logical: LogicalRequest,
  token: string,
  entry: TokenEntry,
  verdict: Verdict,
): MaybePromise<boolean> {
  if (!verdict.allowed) throw deniedByPolicy();
  const used = state.tokens.use(token, entry);
  return isPromise(used)
    ? used.then((spent) => lastUseOf(logical, token, verdict, spent))
    : lastUseOf(logical, token, verdict, used);
}

function lastUseOf(
  logical: LogicalRequest,
  token: string,
  verdict: Verdict,
  spent: { entry: TokenEntry; last: boolean } | undefined,
): boolean {
  if (!spent) throw invalidToken();
  // From the rule that allowed the request, as Vault's RootPrivs: no second policy lookup.
  const hasSudo = verdict.isRoot || verdict.sudo === true;
  logical.caller = callerOf(token, spent.entry, hasSudo);
  return spent.last;
}

function callerOf(token: string, entry: TokenEntry, hasSudo: boolean): Caller {
  return {
    clientToken: token,
    accessor: entry.accessor,
    hasSudo,
    entityId: entry.entityId || undefined,
    displayName: entry.displayName,
    policies: entry.policies,
    metadata: entry.meta ?? undefined,
  };
}

function tokenUsableFrom(entry: TokenEntry, clientAddr: string): boolean {
  if (!entry.boundCidrs?.length) return true;
  // Vault: bound CIDRs do not apply to non-expiring root tokens.
  if (entry.policies.includes('root') && !entry.expireTime) return true;
  return entry.boundCidrs.some((cidr) => cidrAllows(cidr, clientAddr));
}

/** The engine's response as the core answers it: a login's token minted, a new secret's lease registered. */
function finishResponse(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  response: LogicalResponse | undefined,
): MaybePromise<CoreResponse> {
  const result = wrapResponse(req, runtime, response);
  // A read has nothing to mint or register: it is answered at once (see MaybePromise).
  if (!response?.auth && !response?.secret) return withLease(result, response?.lease);
  return mintAndRegister(core, runtime, req, logical, response, result).then(() =>
    withLease(result, response.lease),
  );
}

/** `result` with the lease an engine answered with (KV v1's TTL, a renewal's): shown, not registered. */
function withLease(result: CoreResponse, lease: LogicalResponse['lease']): CoreResponse {
  if (lease) {
    result.leaseId = lease.leaseId;
    result.leaseDuration = lease.ttlSeconds;
    result.renewable = lease.renewable;
  }
  return result;
}

async function mintAndRegister(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  response: LogicalResponse,
  result: CoreResponse,
): Promise<void> {
  if (response.auth) {
    const wire = response.auth.wire;
    if (wire) result.auth = wire;
    else result.auth = await mintLoginToken(core, runtime, logical, response);
  }
  const state = core.unsealed;
  if (response.secret) {
    const { lease, ttlSeconds, leaseAccessor, batch } = await registerSecret(
      core,
      runtime,
      req,
      logical,
      response.secret,
    );
    // The token may have been revoked while the secret was being made (a concurrent request spent its
    // last use, or its tree was revoked): that revocation missed this lease, so end it here.
    if (batch?.gone || (leaseAccessor && (await tokenGone(core, leaseAccessor))))
      await state.expiration.revokeQueued(lease.leaseId);
    result.leaseId = lease.leaseId;
    result.leaseDuration = ttlSeconds;
    result.renewable = lease.renewable;
  }
  // A new token's due entry was committed with the token (TokenStore.persistNew).
}

/** Registers the lease of a secret the request made, owned by the caller's token. */
async function registerSecret(
  core: Core,
  runtime: MountRuntime,
  req: IncomingRequest,
  logical: LogicalRequest,
  secret: SecretLease,
) {
  const state = core.unsealed;
  const batch = req.token?.startsWith('hvb.') ? await state.tokens.batchLeaseScope(req.token) : undefined;
  const leaseAccessor = logical.caller?.accessor || batch?.ownerAccessor;
  const registered = await state.expiration.register(
    req.path,
    secret,
    leaseAccessor,
    leaseMaxTtl(core, runtime, batch),
  );
  return { ...registered, leaseAccessor, batch };
}

/** The mount's max TTL; a batch token's leases are also capped to the token's remaining life. */
function leaseMaxTtl(
  core: Core,
  runtime: MountRuntime,
  batch?: { gone: boolean; expireTime?: number },
): number {
  const mountMax = core.unsealed.mounts.maxTtl(runtime.entry);
  if (!batch) return mountMax;
  if (batch.gone) return 0;
  if (batch.expireTime === undefined) return mountMax;
  return Math.max(0, Math.min(mountMax, Math.floor((batch.expireTime - core.clock.now()) / 1000)));
}

async function tokenGone(core: Core, accessor: string): Promise<boolean> {
  const expiry = await core.unsealed.tokens.expiryOfAccessor(accessor);
  return expiry === undefined || (expiry !== null && expiry <= core.clock.now());
}

async function mintLoginToken(
  core: Core,
  runtime: MountRuntime,
  logical: LogicalRequest,
  response: LogicalResponse,
): Promise<Record<string, unknown>> {
  const state = core.unsealed;
  const mounts = state.mounts;
  const entityId = await loginEntity(core, runtime, response);
  const created = await state.tokens.createForLogin(response.auth!, {
    path: `${runtime.entry.table === 'auth' ? 'auth/' : ''}${runtime.entry.path}${logical.path}`,
    mountDefaultTtl: mounts.defaultTtl(runtime.entry),
    mountMaxTtl: mounts.maxTtl(runtime.entry),
    displayNamePrefix: runtime.entry.path.replace(/\/$/, '').replaceAll('/', '-'),
    entityId,
  });
  if (created.warnings.length) response.warnings = [...(response.warnings ?? []), ...created.warnings];
  return entityId ? withIdentityPolicies(created.wire, identityPoliciesOf(state, entityId)) : created.wire;
}

/**
 * The entity of a login's alias on this auth mount, made with the alias on first login (Vault's
 * CreateOrFetchEntity). A disabled entity cannot log in, as in Vault.
 */
async function loginEntity(
  core: Core,
  runtime: MountRuntime,
  response: LogicalResponse,
): Promise<string | undefined> {
  const alias = response.auth?.alias;
  if (!alias?.name || runtime.entry.table !== 'auth') return undefined;
  const identity = core.unsealed.identity;
  const entity = await identity.entityForLogin(runtime.entry.accessor, alias);
  if (entity.disabled) throw deniedByPolicy();
  const groups = response.auth?.groupAliases;
  if (groups) await identity.syncExternalGroups(entity.id, runtime.entry.accessor, groups);
  return entity.id;
}

function wrapResponse(
  req: IncomingRequest,
  runtime: MountRuntime,
  response: LogicalResponse | undefined,
): CoreResponse {
  return {
    requestId: req.id,
    mountType: runtime.entry.type,
    response,
    leaseId: '',
    leaseDuration: 0,
    renewable: false,
  };
}
