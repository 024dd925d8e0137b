/**
 * A small JSON-over-HTTP(S) client for identity providers (JWKS, OIDC discovery, Kubernetes
 * TokenReview): a CA bundle from config, a hard deadline, a response size cap and no redirects,
 * so a slow or hostile endpoint cannot hold a login or the server's memory.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readLimited } from '../../framework/read-limited.js';

export interface JsonRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  /** PEM bundle that must have issued the server's certificate; the system roots when absent. */
  caPem?: string;
  timeoutMs: number;
  maxBytes?: number;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export type HttpFailure = 'timeout' | 'network' | 'too_large' | 'bad_json' | 'bad_url';

/** Carries only a kind and a safe text: never a header, body or token. */
export class HttpJsonError extends Error {
  readonly kind: HttpFailure;
  constructor(kind: HttpFailure, message: string) {
    super(message);
    this.name = 'HttpJsonError';
    this.kind = kind;
  }
}

const DEFAULT_MAX_BYTES = 1 << 20;

export function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export function requestJson(options: JsonRequest): Promise<JsonResponse> {
  const url = parseHttpUrl(options.url);
  if (!url) return Promise.reject(new HttpJsonError('bad_url', 'only http and https URLs are supported'));
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // agent:false: one connection per call, so no pooled socket outlives a test or a config change.
    const req = send(url, {
      method: options.method ?? 'GET',
      headers,
      agent: false,
      ...(url.protocol === 'https:' && options.caPem ? { ca: options.caPem } : {}),
    });
    const deadline = setTimeout(() => {
      req.destroy(new HttpJsonError('timeout', `no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(deadline);
      reject(error instanceof HttpJsonError ? error : new HttpJsonError('network', safeNetworkText(error)));
    };
    req.on('error', fail);
    req.on('response', (res) => {
      readBody(res, options.maxBytes ?? DEFAULT_MAX_BYTES).then((text) => {
        clearTimeout(deadline);
        try {
          resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
        } catch {
          reject(new HttpJsonError('bad_json', `invalid JSON in the answer (HTTP ${res.statusCode})`));
        }
      }, fail);
    });
    req.end(payload);
  });
}

async function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  const tooLarge = () => new HttpJsonError('too_large', `answer larger than ${maxBytes} bytes`);
  return (await readLimited(res, maxBytes, tooLarge)).toString('utf8');
}

/** Node's network errors name codes and hosts, never request data; keep just the code when there is one. */
function safeNetworkText(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `connection failed (${code})` : 'connection failed';
}
