/** The HTTP request handler: raw sys endpoints, then the logical path through core, then the envelope. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/core.js';
import { CofferError } from '../core/errors.js';
import { handleRequest } from '../core/pipeline.js';
import type { RateLimits } from '../core/quotas/rate-limits.js';
import type { CoreResponse } from '../core/request-types.js';
import type { Logger } from '../framework/log.js';
import type { LogicalResponse, Operation } from '../framework/logical.js';
import { isPromise, type MaybePromise } from '../framework/maybe-promise.js';
import { type Envelope, encodeEnvelope } from './envelope.js';
import { writeError, writeJson } from './errors.js';
import { serveStandby } from './forward.js';
import type { ClientAddress, ClientAddressOf } from './forwarded-for.js';
import {
  operationFor,
  type ParsedTarget,
  parseBody,
  parseTarget,
  type Query,
  queryData,
  readBody,
  tokenFrom,
  wrapTtlFrom,
} from './parse-request.js';
import { type QuotaRequest, refusedByQuota } from './rate-limit.js';
import { RAW_PATHS, serveRaw } from './sys-raw.js';
import { serveUi, type UiAssets } from './ui.js';

export interface HandlerOptions {
  maxRequestBytes: number;
  /** Passed to core as the request's deadline (Vault's max_request_duration). */
  maxRequestDurationMs?: number;
  /** The listener's X-Forwarded-For handling; without it the client is the TCP peer. */
  clientAddressOf?: ClientAddressOf;
  /** The web UI's files when `ui = true`; without them `/` and `/ui` are 404s like any unknown path. */
  ui?: UiAssets;
  log: Logger;
}

export function createHandler(core: Core, options: HandlerOptions) {
  return (req: IncomingMessage, res: ServerResponse) => {
    // Made on first use: health polls and the other raw endpoints answer without one (its UUID was
    // 2.5% of a poll's CPU profile).
    let id: string | undefined;
    const requestId = () => (id ??= randomUUID());
    const failed = (error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      writeError(res, error, options.log, requestId());
    };
    let served: MaybePromise<void>;
    try {
      served = serve(core, options, requestId, req, res);
    } catch (error) {
      failed(error);
      return;
    }
    if (isPromise(served)) served.catch(failed);
  };
}

/**
 * Answers without a promise when nothing has to be waited for: a request with no body whose answer
 * core has at once (a cached read; see MaybePromise). May throw as well as reject.
 */
function serve(
  core: Core,
  options: HandlerOptions,
  requestId: () => string,
  req: IncomingMessage,
  res: ServerResponse,
): MaybePromise<void> {
  // Plain locals, not an object: no allocation per request unless X-Forwarded-For is configured.
  let clientAddr = req.socket.remoteAddress ?? '';
  let clientPort = req.socket.remotePort;
  if (options.clientAddressOf) {
    // Before anything else, as Vault's listener wraps its whole handler.
    const client = forwardedClient(req, options.clientAddressOf);
    clientAddr = client.address;
    clientPort = client.port;
    // Vault deletes an untrusted peer's header, so an audited x-forwarded-for never logs its claim.
    if (client.untrustedHeader) delete req.headers['x-forwarded-for'];
  }
  if (options.ui && serveUi(options.ui, req, res)) return;
  const target = parseTarget(req.url ?? '/');
  if (!target) return writeJson(res, 404, { errors: [] });
  const method = req.method ?? 'GET';
  const body = async () =>
    parseBody(await readBody(req, options.maxRequestBytes), req.headers['content-type']);
  // With no quota (or sealed) this is the only cost quotas add to a request.
  const limits = core.rateLimits;
  if (limits?.active) {
    const client = { address: clientAddr, port: clientPort };
    const quotaRequest: QuotaRequest = { id: requestId(), path: target.path, query: target.query, client };
    // A login body read for a role quota, handed on rather than read twice.
    return resolveLoginRole(limits, quotaRequest, method, body).then((loginBody) => {
      if (refusedByQuota(core, limits, quotaRequest, req, res, options.log)) return;
      return serveAdmitted(
        core,
        options,
        requestId,
        req,
        res,
        target,
        clientAddr,
        clientPort,
        body,
        loginBody,
      );
    });
  }
  return serveAdmitted(core, options, requestId, req, res, target, clientAddr, clientPort, body, undefined);
}

/** serve, once the request is within its quotas. */
function serveAdmitted(
  core: Core,
  options: HandlerOptions,
  requestId: () => string,
  req: IncomingMessage,
  res: ServerResponse,
  target: ParsedTarget,
  clientAddr: string,
  clientPort: number | undefined,
  body: () => Promise<Record<string, unknown>>,
  loginBody: Record<string, unknown> | undefined,
): MaybePromise<void> {
  const method = req.method ?? 'GET';
  if (RAW_PATHS.has(target.path)) return serveRaw(core, target.path, req, res, target.query, body);
  // A standby serves no logical request itself (it has no mounts, tokens or policies loaded).
  if (core.isStandby())
    return serveStandby(core, target.path, req, res, options.log, options.maxRequestDurationMs);
  if (method === 'HEAD' || method === 'OPTIONS') return writeJson(res, 405, { errors: [] });
  const operation = operationFor(method, target.query);
  if (!operation) return writeJson(res, 405, { errors: [] });
  if (operation === 'patch') {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/merge-patch+json')) {
      throw new CofferError(
        'unsupported_media_type',
        `PATCH requires Content-Type of application/merge-patch+json, provided ${type}`,
      );
    }
  }
  const hasBody = operation === 'update' || operation === 'patch' || operation === 'create';
  let data: MaybePromise<Record<string, unknown>>;
  if (hasBody) data = loginBody ?? body();
  // Drain so keep-alive stays in sync; without Content-Length or Transfer-Encoding there is no body.
  else if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
    data = readBody(req, options.maxRequestBytes).then(() => queryData(target.query));
  else data = queryData(target.query);
  let path = target.path;
  if (operation === 'list' && !path.endsWith('/')) path += '/';
  const ask = (requestData: Record<string, unknown>): MaybePromise<void> => {
    const result = handleRequest(core, {
      id: requestId(),
      path,
      operation,
      data: requestData,
      token: tokenFrom(req),
      clientAddr,
      clientPort,
      headers: flatHeaders(req),
      wrapTtlSeconds: wrapTtlFrom(req),
      help: isHelp(target.query),
      maxDurationMs: options.maxRequestDurationMs,
    });
    if (isPromise(result)) return result.then((answer) => respond(res, path, operation, answer));
    respond(res, path, operation, result);
  };
  return isPromise(data) ? data.then(ask) : ask(data);
}

/**
 * A login to an auth mount with a role quota: its body is read (with the usual limits) and the role it
 * names set on the quota request, as Vault's wrapper does. Returns the body to hand on, else nothing.
 */
async function resolveLoginRole(
  limits: RateLimits,
  request: QuotaRequest,
  method: string,
  body: () => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown> | undefined> {
  if (method !== 'POST' && method !== 'PUT') return undefined;
  const mountPath = limits.loginWithRoles(request.path);
  if (mountPath === undefined) return undefined;
  const data = await body();
  request.role = await limits.roleOf(mountPath, data);
  return data;
}

function forwardedClient(req: IncomingMessage, resolve: ClientAddressOf): ClientAddress {
  // Node joins repeated X-Forwarded-For lines with ", ", which the resolver splits like one list.
  const header = req.headers['x-forwarded-for'];
  return resolve(
    req.socket.remoteAddress,
    req.socket.remotePort,
    typeof header === 'string' ? header : undefined,
  );
}

function isHelp(query: Query): boolean {
  const help = query.get('help');
  return help !== null && help !== '0' && help !== 'false';
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const key in headers) {
    if (key === 'x-vault-token' || key === 'authorization') continue; // never carried past http/
    const value = headers[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function respond(res: ServerResponse, path: string, operation: Operation, result: CoreResponse): void {
  const response = result.response;
  if (response?.raw && !result.wrapInfo) {
    writeRaw(res, response.raw, response.httpStatus ?? 200);
    return;
  }
  const hasContent =
    response &&
    (response.data || response.auth || response.lease || response.warnings?.length || result.auth);
  if (!hasContent && !result.wrapInfo) {
    // Vault: a read or list of nothing is 404 with an empty error list; a write without output is 204.
    if (operation === 'read' || operation === 'list') {
      writeJson(res, 404, { errors: [] });
      return;
    }
    // An engine may answer a write with a bare status (KV's PATCH of a missing key: 404, no body).
    res.writeHead(response?.httpStatus ?? 204, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  if (operation === 'list' && !result.wrapInfo && !response?.warnings?.length) {
    const keys = response?.data?.keys;
    if (!Array.isArray(keys) || keys.length === 0) {
      writeJson(res, 404, { errors: [] });
      return;
    }
  }
  const envelope: Envelope = {
    request_id: result.wrapInfo ? '' : result.requestId,
    lease_id: result.leaseId,
    renewable: result.renewable,
    lease_duration: result.leaseDuration,
    data: result.wrapInfo ? null : (response?.data ?? null),
    wrap_info: result.wrapInfo ?? null,
    warnings: !result.wrapInfo && response?.warnings?.length ? response.warnings : null,
    auth: result.wrapInfo ? null : (result.auth ?? null),
    mount_type: result.mountType,
  };
  const text = encodeEnvelope(envelope, path);
  res.writeHead(response?.httpStatus ?? 200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Vault's raw responses (a DER certificate, a PEM CRL): the body as the engine gave it. */
function writeRaw(res: ServerResponse, raw: NonNullable<LogicalResponse['raw']>, status: number) {
  const body = typeof raw.body === 'string' ? Buffer.from(raw.body) : raw.body;
  res.writeHead(status, {
    'Content-Type': raw.contentType,
    'Cache-Control': raw.cacheControl ?? 'no-store',
    'Content-Length': body.byteLength,
  });
  res.end(body);
}
