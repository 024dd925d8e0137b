/**
 * A standby's answer to a logical request (Vault's `handleRequestForwarding`): proxied to the active
 * node at the `api_addr` its lock records, its answer returned as it is; or, when the client asks
 * with `X-Vault-No-Request-Forwarding`, a 307 to the active node.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Core } from '../core/core.js';
import type { Logger } from '../framework/log.js';
import { writeJson } from './errors.js';

/** Set on a forwarded request, so that a node that is no longer active redirects it instead of forwarding it on. */
const FORWARDED_HEADER = 'x-coffer-forwarded-request';
/** Hop-by-hop headers (RFC 9110 §7.6.1) stay on this connection. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'host',
  FORWARDED_HEADER,
]);

/** Vault's default max_request_duration, for a listener that sets none. */
const DEFAULT_FORWARD_TIMEOUT_MS = 90_000;

/**
 * `timeoutMs`: the listener's max_request_duration. A forwarded request whose active node goes
 * silent that long is given up (and redirected, as any that cannot be forwarded), never left hanging.
 */
export async function serveStandby(
  core: Core,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
  timeoutMs = DEFAULT_FORWARD_TIMEOUT_MS,
) {
  // Vault's standby refuses a seal (it has no token store to check the caller against) rather than
  // forwarding it: sent to a standby, it would seal the active node.
  if (path === 'sys/seal')
    return writeJson(res, 500, {
      errors: ['vault cannot seal when in standby mode; please restart instead'],
    });
  const activeAddr = (await core.leaderStatus()).leader?.apiAddr ?? '';
  const noForwarding =
    req.headers['x-vault-no-request-forwarding'] !== undefined || req.headers[FORWARDED_HEADER] !== undefined;
  if (noForwarding) return redirect(req, res, activeAddr);
  // Vault's texts, kept: clients match them.
  if (!activeAddr)
    return writeJson(res, 500, { errors: ['local node not active but active cluster node not found'] });
  await forward(req, res, activeAddr, timeoutMs).catch((error: unknown) => {
    // As Vault, a request that cannot be forwarded falls back to the redirect.
    log.warn('error forwarding request', { error: error instanceof Error ? error.message : 'unknown' });
    if (!res.headersSent) redirect(req, res, activeAddr);
    else res.destroy();
  });
}

function redirect(req: IncomingMessage, res: ServerResponse, activeAddr: string): void {
  if (!activeAddr) {
    writeJson(res, 503, { errors: ['no active Vault instance found'] });
    return;
  }
  const base = URL.canParse(activeAddr) ? new URL(activeAddr) : new URL(`https://${activeAddr}`);
  const location = new URL(req.url ?? '/', base.origin);
  res.writeHead(307, { Location: location.href, 'Cache-Control': 'no-store' });
  res.end();
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  activeAddr: string,
  timeoutMs: number,
): Promise<void> {
  const target = new URL(req.url ?? '/', activeAddr);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const upstream = send(target, { method: req.method, headers: forwardedHeaders(req) }, (answer) => {
      // The active node's hop-by-hop headers (its keep-alive) would override this connection's own.
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
      answer.once('end', resolve);
      answer.once('error', reject);
    });
    upstream.once('error', reject);
    // An active node that stops answering mid-request: the socket's idle time, not the whole answer's.
    upstream.setTimeout(timeoutMs, () => upstream.destroy(new Error('forwarded request timed out')));
    // The client went away: so does the forwarded request.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (!HOP_BY_HOP.has(name) && value !== undefined) kept[name] = value;
  return kept;
}

function forwardedHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { [FORWARDED_HEADER]: '1', ...endToEnd(req.headers) };
  // The active node sees the standby as its peer: the client's address travels along, used only
  // where the active node's listener trusts the standby (x_forwarded_for_authorized_addrs).
  const client = req.socket.remoteAddress;
  if (client) {
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  }
  return headers;
}
