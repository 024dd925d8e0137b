/**
 * The agent's API proxy: requests from local clients are forwarded to the server as they came, with
 * the auto-auth token attached when `use_auto_auth_token` says so. Bodies are read up to the
 * listener's limit before anything is forwarded, and passed on as bytes both ways.
 */

import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendWithRetries } from '../client/transport.js';
import { CofferError } from '../core/errors.js';
import type { Logger } from '../framework/log.js';
import { readBody, tokenFrom } from '../http/parse-request.js';
import type { UseAutoAuthToken } from './config.js';
import type { TokenSource } from './token-source.js';

export interface ProxyUpstream {
  /** The server's address, e.g. http://127.0.0.1:8200. */
  address: string;
  /** Keep-alive agent for the server (TLS settings from the `vault` block). */
  agent: (secure: boolean) => http.Agent;
  numRetries: number;
  retryWaitMs?: number;
}

export interface ProxyOptions {
  upstream: ProxyUpstream;
  tokens: TokenSource;
  useAutoAuthToken: UseAutoAuthToken;
  requireRequestHeader: boolean;
  maxRequestBytes: number;
  log: Logger;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the forwarder sets itself. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
const TIMEOUT_MS = 60_000;

function respondError(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ errors: [message] });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Vault's check: exactly one X-Vault-Request header, and it says "true". */
function hasRequestHeader(req: IncomingMessage): boolean {
  const values = req.headersDistinct['x-vault-request'];
  return values?.length === 1 && values[0] === 'true';
}

function forwardedHeaders(req: IncomingMessage, options: ProxyOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const autoAuthToken = options.tokens.current();
  const attach = options.useAutoAuthToken === 'force' || (options.useAutoAuthToken && !tokenFrom(req));
  if (attach && autoAuthToken) {
    // force: the caller's own token, in either header, gives way to the agent's.
    if (options.useAutoAuthToken === 'force') delete headers.authorization;
    headers['x-vault-token'] = autoAuthToken;
  }
  return headers;
}

export function createProxyHandler(
  options: ProxyOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, options).catch((error) => {
      const status = error instanceof CofferError ? error.status : 502;
      if (!(error instanceof CofferError))
        options.log.warn('forwarding a request failed', { error: (error as Error).message });
      if (!res.headersSent)
        respondError(
          res,
          status,
          status === 502 ? 'error forwarding the request to the server' : (error as Error).message,
        );
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ProxyOptions): Promise<void> {
  if (options.requireRequestHeader && !hasRequestHeader(req)) {
    // Vault's answer; the header keeps browsers (which cannot send it cross-origin) out.
    respondError(res, 412, 'missing "X-Vault-Request" header');
    return;
  }
  const body = await readBody(req, options.maxRequestBytes);
  const url = new URL(req.url ?? '/', options.upstream.address);
  const method = req.method ?? 'GET';
  const headers = forwardedHeaders(req, options);
  // Bodies are passed on as bytes: some are not UTF-8 (a DER certificate, a snapshot).
  const forwarded = body.length === 0 && (method === 'GET' || method === 'HEAD') ? undefined : body;
  const { upstream } = options;
  const answer = await sendWithRetries(
    upstream.agent(url.protocol === 'https:'),
    url,
    method,
    headers,
    forwarded,
    TIMEOUT_MS,
    upstream.numRetries,
    upstream.retryWaitMs ?? 1000,
  );
  const outHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) outHeaders[name] = value;
  }
  outHeaders['content-length'] = String(answer.bytes.length);
  res.writeHead(answer.status, outHeaders);
  res.end(method === 'HEAD' ? undefined : answer.bytes);
}
