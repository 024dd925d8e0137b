/** Errors the client throws: API answers (rendered exactly as Vault's Go client does) and transport failures. */

export interface ApiErrorInit {
  method: string;
  /** Request URL without its query string: query values may carry request data. */
  url: string;
  status: number;
  errors: string[];
  /** The body was not JSON: `errors` holds the raw text. */
  raw?: boolean;
  namespace?: string;
  /** Parsed body, for callers that need more than `errors` (e.g. `data` next to the errors). */
  body?: unknown;
}

function render(init: ApiErrorInit): string {
  const namespace = init.namespace && init.namespace !== 'root/' ? `Namespace: ${init.namespace}\n` : '';
  const head = `Error making API request.\n\n${namespace}URL: ${init.method} ${init.url}\nCode: ${init.status}. ${
    init.raw ? 'Raw Message' : 'Errors'
  }:\n\n`;
  // The Go client writes every entry as "* <msg>" with no separator; kept for byte-compatible output.
  const list =
    init.raw && init.errors.length === 1 ? init.errors[0] : init.errors.map((e) => `* ${e}`).join('');
  return head + list;
}

/** A non-2xx answer. The message never contains the token or the request body. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: string[];
  readonly method: string;
  readonly url: string;
  readonly body: unknown;

  constructor(init: ApiErrorInit) {
    super(render(init));
    this.name = 'ApiError';
    this.status = init.status;
    this.errors = init.errors;
    this.method = init.method;
    this.url = init.url;
    this.body = init.body;
  }
}

/** The request never got an HTTP answer (refused, DNS, TLS, timeout). Worded like Go's `*url.Error`. */
export class TransportError extends Error {
  readonly code: string | undefined;

  constructor(method: string, url: string, cause: NodeJS.ErrnoException, hint?: string) {
    const verb = method.charAt(0) + method.slice(1).toLowerCase();
    super(`${verb} "${url}": ${describe(cause, url)}${hint ? `\n\n${hint}` : ''}`, { cause });
    this.name = 'TransportError';
    this.code = cause.code;
  }
}

function describe(cause: NodeJS.ErrnoException, url: string): string {
  let host = '';
  try {
    const u = new URL(url);
    host = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    // keep the bare message
  }
  switch (cause.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${host}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${host.split(':')[0]}: no such host`;
    case 'ETIMEDOUT':
    case 'ERR_CLIENT_TIMEOUT':
      return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
    default:
      return cause.message;
  }
}

/** Thrown instead of sending when `outputCurlString` is on; carries the equivalent curl command. */
export class CurlStringError extends Error {
  readonly curl: string;

  constructor(curl: string) {
    super('output a cURL command instead of sending the request');
    this.name = 'CurlStringError';
    this.curl = curl;
  }
}

/** True when an HTTPS request reached a plain-HTTP listener: the usual cause is the https default address. */
export function isPlainHttpAnswer(cause: NodeJS.ErrnoException): boolean {
  return cause.code === 'EPROTO' || /wrong version number|packet length too long/i.test(cause.message);
}

export const PLAIN_HTTP_HINT =
  'The server answered in plain HTTP but the client is using HTTPS. Either enable TLS on the server\n' +
  'or point the client at an http:// address, e.g. with -address=http://127.0.0.1:8200 or\n' +
  'VAULT_ADDR=http://127.0.0.1:8200.';
