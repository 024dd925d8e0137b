/** One log line for a failed call: the client's API errors span several lines, which logs do not want. */
import { ApiError } from '../client/errors.js';

/** `PUT /v1/auth/approle/login: 400: invalid role or secret ID`; never a body, header or token. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) {
    const path = error.url.replace(/^[a-z]+:\/\/[^/]+/i, '');
    return `${error.method} ${path}: ${error.status}${error.errors.length ? `: ${error.errors.join('; ')}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}
