/** Typed HTTP client of Coffer's Vault-compatible API, shared by the CLI, the agent and the tests. */
import type http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { curlString } from './curl.js';
import { ApiError, CurlStringError, isPlainHttpAnswer, PLAIN_HTTP_HINT, TransportError } from './errors.js';
import { hasContent, isRecord, parseSecret, type Secret } from './secret.js';
import { SysApi } from './sys.js';
import { TokenApi } from './token-api.js';
import { createAgent, type RawResponse, sendWithRetries, type TlsOptions } from './transport.js';

export interface VaultClientOptions extends TlsOptions {
  address: string;
  token?: string;
  namespace?: string;
  /** Per-request timeout; Vault's default is 60 s. */
  timeoutMs?: number;
  /** Wrap every response with this TTL (`"5m"`, `"300"`) unless a request says otherwise. */
  wrapTtl?: string;
  /** Retries of 412 and 5xx (except 501) and of transport failures. The CLI uses 0, as Vault's does. */
  maxRetries?: number;
  retryWaitMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Build the equivalent curl command and throw `CurlStringError` instead of sending. */
  outputCurlString?: boolean;
  /** Do not follow a standby's 307 to the active node. */
  disableRedirects?: boolean;
}

export type QueryInput = URLSearchParams | Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  method: string;
  /** Path relative to `/v1/`. */
  path: string;
  query?: QueryInput;
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the client's wrap TTL; `null` turns wrapping off for this request. */
  wrapTtl?: string | number | null;
  /** Overrides the client's token; `null` sends none. */
  token?: string | null;
  /** Statuses (besides 2xx/3xx) answered instead of thrown, e.g. 404 for reads, health codes. */
  accept?: number[];
  /** Send even in `outputCurlString` mode (preflight reads the printed command depends on). */
  sendInCurlMode?: boolean;
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are arbitrary JSON; callers narrow them
  body: any | undefined;
  headers: IncomingHttpHeaders;
}

function encodePath(path: string): string {
  return path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
}

function toSearchParams(query: QueryInput | undefined): URLSearchParams {
  if (!query) return new URLSearchParams();
  if (query instanceof URLSearchParams) return query;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  return params;
}

export class VaultClient {
  readonly address: string;
  token: string | undefined;
  readonly sys: SysApi;
  readonly tokens: TokenApi;
  /** The last curl command built while `outputCurlString` is on. */
  lastCurlString: string | undefined;
  private readonly options: VaultClientOptions;
  /** One keep-alive agent per scheme: a standby may redirect from http to https. */
  private readonly agents = new Map<string, http.Agent>();

  constructor(options: VaultClientOptions) {
    this.options = { ...options };
    this.address = options.address.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.sys = new SysApi(this);
    this.tokens = new TokenApi(this);
  }

  get namespace(): string | undefined {
    return this.options.namespace;
  }

  /** Frees the keep-alive sockets so a short-lived process can exit at once. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agent(url: URL): http.Agent {
    let agent = this.agents.get(url.protocol);
    if (!agent) {
      agent = createAgent(url.protocol === 'https:', this.options);
      this.agents.set(url.protocol, agent);
    }
    return agent;
  }

  private buildHeaders(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { 'X-Vault-Request': 'true', ...this.options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers['X-Vault-Token'] = token;
    if (this.options.namespace) headers['X-Vault-Namespace'] = this.options.namespace;
    const wrapTtl = options.wrapTtl === undefined ? this.options.wrapTtl : options.wrapTtl;
    if (wrapTtl !== null && wrapTtl !== undefined && wrapTtl !== '')
      headers['X-Vault-Wrap-TTL'] = String(wrapTtl);
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    return { ...headers, ...options.headers };
  }

  /** Sends one request. Non-2xx/3xx answers not listed in `accept` throw `ApiError`. */
  async request(options: RequestOptions): Promise<ApiResponse> {
    const method = options.method.toUpperCase();
    let url = new URL(`${this.address}/v1/${encodePath(options.path)}`);
    const query = toSearchParams(options.query).toString();
    if (query) url.search = query;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(
        `${method} "${this.address}/v1/${options.path}": unsupported protocol scheme "${url.protocol.slice(0, -1)}"`,
      );
    }
    const headers = this.buildHeaders(options);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (this.options.outputCurlString && !options.sendInCurlMode) {
      this.lastCurlString = curlString(method, url, headers, body, this.options);
      throw new CurlStringError(this.lastCurlString);
    }
    let raw = await this.sendWithRetries(url, method, headers, body);
    // Like the Go client, follow one redirect from a standby to the active node.
    const location = raw.headers.location;
    if (raw.status === 307 && typeof location === 'string' && !this.options.disableRedirects) {
      url = new URL(location, url);
      raw = await this.sendWithRetries(url, method, headers, body);
    }
    return this.toResponse(raw, method, url, options.accept ?? []);
  }

  private async sendWithRetries(url: URL, method: string, headers: Record<string, string>, body?: string) {
    try {
      return await sendWithRetries(
        this.agent(url),
        url,
        method,
        headers,
        body,
        this.options.timeoutMs ?? 60_000,
        this.options.maxRetries ?? 0,
        this.options.retryWaitMs ?? 1000,
      );
    } catch (error) {
      const cause = error as NodeJS.ErrnoException;
      const shown = `${url.origin}${url.pathname}`;
      throw new TransportError(method, shown, cause, isPlainHttpAnswer(cause) ? PLAIN_HTTP_HINT : undefined);
    }
  }

  private toResponse(raw: RawResponse, method: string, url: URL, accept: number[]): ApiResponse {
    let body: unknown;
    let parsed = true;
    if (raw.text.trim() !== '') {
      try {
        body = JSON.parse(raw.text);
      } catch {
        parsed = false;
        body = raw.text;
      }
    }
    if (raw.status < 400 || accept.includes(raw.status))
      return { status: raw.status, body, headers: raw.headers };
    const errors = !parsed
      ? [raw.text]
      : isRecord(body) && Array.isArray(body.errors)
        ? body.errors.map(String)
        : [];
    throw new ApiError({
      method,
      url: `${url.origin}${url.pathname}`,
      status: raw.status,
      errors,
      raw: !parsed,
      namespace:
        typeof raw.headers['x-vault-namespace'] === 'string' ? raw.headers['x-vault-namespace'] : undefined,
      body,
    });
  }

  /** A request whose 404 means "nothing there" unless the body still has data or warnings (Go client rule). */
  private async secretRequest(
    options: RequestOptions,
    notFoundIsEmpty: boolean,
  ): Promise<Secret | undefined> {
    const response = await this.request({ ...options, accept: [404] });
    const secret = parseSecret(response.body);
    if (response.status !== 404) return secret;
    if (hasContent(secret)) return secret;
    if (notFoundIsEmpty) return undefined;
    // A write or delete that found nothing is still an error; re-render it as one.
    throw new ApiError({
      method: options.method,
      url: `${this.address}/v1/${encodePath(options.path)}`,
      status: 404,
      errors:
        isRecord(response.body) && Array.isArray(response.body.errors)
          ? response.body.errors.map(String)
          : [],
      body: response.body,
    });
  }

  /** `sendInCurlMode`: a pre-read that must run even when the CLI only prints the curl command. */
  read(
    path: string,
    query?: QueryInput,
    options: { sendInCurlMode?: boolean } = {},
  ): Promise<Secret | undefined> {
    return this.secretRequest({ method: 'GET', path, query, sendInCurlMode: options.sendInCurlMode }, true);
  }

  /** Uses the `LIST` verb; Coffer and Vault both accept it (the Go client sends `GET ?list=true`). */
  list(path: string): Promise<Secret | undefined> {
    return this.secretRequest({ method: 'LIST', path }, true);
  }

  write(path: string, body?: Record<string, unknown>): Promise<Secret | undefined> {
    return this.secretRequest({ method: 'PUT', path, body: body ?? {} }, false);
  }

  delete(path: string, query?: QueryInput): Promise<Secret | undefined> {
    return this.secretRequest({ method: 'DELETE', path, query }, false);
  }

  patch(path: string, body: Record<string, unknown>): Promise<Secret | undefined> {
    return this.secretRequest(
      { method: 'PATCH', path, body, headers: { 'Content-Type': 'application/merge-patch+json' } },
      false,
    );
  }

  /**
   * `sys/wrapping/unwrap`. Without a token argument the client token is the wrapping token; with one, it
   * goes in the body unless the client has no token of its own (Vault never sends both the same token).
   */
  async unwrap(wrappingToken?: string): Promise<Secret | undefined> {
    const useHeader = !!wrappingToken && (!this.token || this.token === wrappingToken);
    const response = await this.request({
      method: 'PUT',
      path: 'sys/wrapping/unwrap',
      body: wrappingToken && !useHeader ? { token: wrappingToken } : undefined,
      token: useHeader ? wrappingToken : undefined,
      wrapTtl: null,
      accept: [404],
    });
    const secret = parseSecret(response.body);
    return response.status === 404 && !hasContent(secret) ? undefined : secret;
  }
}
