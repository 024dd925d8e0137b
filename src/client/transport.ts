/** One HTTP exchange over a keep-alive node:http/https agent: TLS material, timeout, raw body back. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';

export interface TlsOptions {
  /** PEM text or Buffer, or the path of a PEM file. */
  caCert?: string | Buffer;
  /** Directory of PEM files (used when `caCert` is not given, as Vault does). */
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as received, for callers that pass it on unchanged (the agent's API proxy). */
  bytes: Buffer;
}

function pem(value: string | Buffer): string | Buffer {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFileSync(value);
}

function caBundle(options: TlsOptions): (string | Buffer)[] | undefined {
  if (options.caCert) return [pem(options.caCert)];
  if (!options.caPath) return undefined;
  return readdirSync(options.caPath)
    .map((name) => join(options.caPath!, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file));
}

export function createAgent(secure: boolean, tls: TlsOptions): http.Agent {
  if (!secure) return new http.Agent({ keepAlive: true });
  return new https.Agent({
    keepAlive: true,
    ca: caBundle(tls),
    cert: tls.clientCert ? readFileSync(tls.clientCert) : undefined,
    key: tls.clientKey ? readFileSync(tls.clientKey) : undefined,
    servername: tls.tlsServerName || undefined,
    rejectUnauthorized: !tls.tlsSkipVerify,
    minVersion: 'TLSv1.2',
  });
}

export function send(
  agent: http.Agent,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  timeoutMs: number,
  /**
   * For peers that may not be trusted (an auto seal's remote): `deadlineMs` bounds the whole exchange
   * (`timeoutMs` is an idle timeout, which a peer trickling a byte at a time never trips), and
   * `maxBytes` the response body.
   */
  limits: { deadlineMs?: number; maxBytes?: number } = {},
): Promise<RawResponse> {
  const lib = url.protocol === 'https:' ? https : http;
  // An explicit length keeps Node from switching to chunked encoding for bodyless custom verbs (LIST).
  const length =
    body === undefined ? (method === 'GET' || method === 'HEAD' ? undefined : 0) : Buffer.byteLength(body);
  const allHeaders = length === undefined ? headers : { ...headers, 'Content-Length': String(length) };
  return new Promise((resolve, reject) => {
    const fail = (message: string, code: string) => {
      const error: NodeJS.ErrnoException = new Error(message);
      error.code = code;
      req.destroy(error);
    };
    let deadline: NodeJS.Timeout | undefined;
    const settle =
      <T>(fn: (value: T) => void) =>
      (value: T) => {
        clearTimeout(deadline);
        fn(value);
      };
    const done = settle(resolve);
    const failed = settle(reject);
    const req = lib.request(url, { method, headers: allHeaders, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (limits.maxBytes !== undefined && received > limits.maxBytes)
          return fail('response too large', 'ERR_RESPONSE_TOO_LARGE');
        chunks.push(chunk);
      });
      res.on('error', failed);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        done({ status: res.statusCode ?? 0, headers: res.headers, text: bytes.toString('utf8'), bytes });
      });
    });
    if (limits.deadlineMs !== undefined)
      deadline = setTimeout(() => fail('request timed out', 'ERR_CLIENT_TIMEOUT'), limits.deadlineMs);
    req.on('timeout', () => fail('request timed out', 'ERR_CLIENT_TIMEOUT'));
    req.on('error', failed);
    req.end(body);
  });
}

/** The statuses worth another attempt, as the Go client retries them: 412 (a standby behind) and 5xx but 501. */
export const isRetryableStatus = (status: number) => status === 412 || (status >= 500 && status !== 501);

/**
 * `send`, sent again after `waitMs` while the answer's status is retryable or the exchange fails, up to
 * `retries` more times; the last answer is returned, or the last failure thrown.
 */
export async function sendWithRetries(
  agent: http.Agent,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  timeoutMs: number,
  retries: number,
  waitMs: number,
): Promise<RawResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      const raw = await send(agent, url, method, headers, body, timeoutMs);
      if (attempt >= retries || !isRetryableStatus(raw.status)) return raw;
    } catch (error) {
      if (attempt >= retries) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
