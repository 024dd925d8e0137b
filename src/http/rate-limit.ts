/**
 * Rate-limit quotas at the door, where Vault's HTTP wrapper applies them: before the body is read or a
 * token looked up, for unauthenticated requests too. Only a login to an auth mount with a role quota
 * has its body read first, to resolve the role. Over the limit is a 429 with Vault's text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/core.js';
import type { RateLimitVerdict } from '../core/quotas/rate-limit-quota.js';
import type { RateLimits } from '../core/quotas/rate-limits.js';
import type { Logger } from '../framework/log.js';
import { writeJson } from './errors.js';
import type { ClientAddress } from './forwarded-for.js';
import { operationFor, type Query } from './parse-request.js';

export interface QuotaRequest {
  id: string;
  /** Canonical path after `/v1/`. */
  path: string;
  query: Query;
  client: ClientAddress;
  /** The login role the body resolved to, read only when a role quota exists on the auth mount. */
  role?: string;
}

/** Answers 429 and returns true when a quota refuses the request; sets the headers either way if asked. */
export function refusedByQuota(
  core: Core,
  limits: RateLimits,
  request: QuotaRequest,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): boolean {
  const verdict = limits.check(request.path, request.client.address, request.role);
  if (verdict === undefined) return false;
  if (limits.config.responseHeaders) setHeaders(res, verdict);
  if (verdict.allowed) return false;
  const message = `request path ${JSON.stringify(request.path)}: rate limit quota exceeded`;
  // A refused body is never read: the connection ends instead of reading it off to keep it alive.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
    res.setHeader('Connection', 'close');
  writeJson(res, 429, { errors: [message] });
  if (limits.config.auditRejections) auditRejection(core, request, req.method ?? 'GET', message, log);
  return true;
}

/** Vault's header names (go-limiter's, as Go writes them on the wire). */
function setHeaders(res: ServerResponse, verdict: RateLimitVerdict): void {
  if (verdict.limit !== undefined) res.setHeader('X-Ratelimit-Limit', verdict.limit);
  if (verdict.remaining !== undefined) res.setHeader('X-Ratelimit-Remaining', verdict.remaining);
  if (verdict.resetSeconds !== undefined) res.setHeader('X-Ratelimit-Reset', verdict.resetSeconds);
  if (verdict.retryAfterSeconds !== undefined) res.setHeader('Retry-After', verdict.retryAfterSeconds);
}

/**
 * `enable_rate_limit_audit_logging`: a request entry with the error, after the answer, as Vault writes
 * it. Best effort: the request is refused whatever the devices do. The body is never read for it.
 */
function auditRejection(core: Core, request: QuotaRequest, method: string, error: string, log: Logger): void {
  const audit = core.isSealed() ? undefined : core.unsealed.audit;
  if (!audit?.hasDevices()) return;
  audit
    .logRequest({
      requestId: request.id,
      operation: operationOf(method, request.query),
      path: request.path,
      remoteAddress: request.client.address,
      remotePort: request.client.port,
      error,
    })
    .catch((failure: unknown) =>
      log.warn('failed to audit a request refused by a rate limit quota', {
        error: failure instanceof Error ? failure.name : 'error',
      }),
    );
}

/** The operation the request would have had; a method or `?list=` the pipeline would refuse is a read. */
function operationOf(method: string, query: Query): string {
  try {
    return operationFor(method, query) ?? 'read';
  } catch {
    return 'read';
  }
}
