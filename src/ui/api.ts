/** The UI's only way to the server: `fetch` on `/v1/` with the `X-Vault-Token` header, as Vault's UI. */
import { currentToken } from './session.js';

export class ApiError extends Error {
  readonly status: number;
  /** Vault's `errors` array, as the server sent it (possibly empty). */
  readonly errors: string[];
  constructor(status: number, errors: string[]) {
    super(errors.join('; ') || `request failed with status ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: API bodies are arbitrary JSON, narrowed by each view
export type Json = any;

export interface ApiOptions {
  body?: unknown;
  query?: Record<string, string>;
  /** A token other than the session's (sign-in checks a pasted token before keeping it). */
  token?: string;
  /** Resolve with the body of a 404 instead of throwing (KV v2 answers a deleted version so). */
  acceptNotFound?: boolean;
}

/** One API call; resolves to the parsed body (undefined for 204) or throws an ApiError. */
export async function api(method: string, path: string, options: ApiOptions = {}): Promise<Json> {
  const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
  const headers: Record<string, string> = {};
  const token = options.token ?? currentToken();
  if (token) headers['X-Vault-Token'] = token;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/v1/${path}${query}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await response.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status === 404 && options.acceptNotFound) return body;
  if (!response.ok) {
    const errors = Array.isArray(body?.errors) ? body.errors.map((e: unknown) => String(e)) : [];
    throw new ApiError(response.status, errors);
  }
  return body;
}

/**
 * A path below a mount, each segment escaped (a secret may be named `a b` or `a?b`). A `.` or `..`
 * segment is refused: fetch resolves it, escaped or not, so a crafted link such as
 * `#/show/kv/..%2Fsys%2Fpolicies%2Facl%2Fadmin` would aim the view's Delete at another API path.
 */
export function apiPath(...parts: string[]): string {
  const segments = parts
    .join('/')
    .split('/')
    .filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..'))
    throw new Error('A path cannot contain . or .. segments.');
  return segments.map((s) => encodeURIComponent(s)).join('/');
}
