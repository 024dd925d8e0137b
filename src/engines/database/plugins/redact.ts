/**
 * Turns a driver's error into one that is safe to show: every secret the operation handled is masked,
 * as Vault's DatabaseErrorSanitizerMiddleware does, and the original error is not kept as `cause`
 * (a logger could print it). Databases echo SQL in their messages, passwords included.
 */
import { CofferError, type ErrorCode } from '../../../core/errors.js';

const MASK = '[password]';

/** The forms a secret can take inside a message: raw, URL-encoded, SQL- or JSON-escaped. */
function secretForms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    secret.replaceAll("'", "''"),
    secret.replaceAll('\\', '\\\\').replaceAll("'", "\\'"),
    JSON.stringify(secret).slice(1, -1),
  ];
}

// MariaDB cuts the SQL it quotes at 80 characters and adds `...`, so a message can end partway
// through a password: its beginnings and ends down to this length are masked as well.
const SHORTEST_PART = 4;

/** The secret's forms and partial forms, longest first so a form is never half-masked by a shorter one. */
function maskedForms(secret: string): string[] {
  const forms = secretForms(secret);
  for (let length = secret.length - 1; length >= SHORTEST_PART; length--) {
    forms.push(secret.slice(0, length), secret.slice(-length));
  }
  return forms;
}

export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = secrets
    .filter((secret): secret is string => typeof secret === 'string' && secret !== '')
    .flatMap(maskedForms)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const form of forms) out = out.replaceAll(form, MASK);
  return out;
}

/** A CofferError saying `context: <driver message>`, with the secrets masked. */
export function redactedError(
  context: string,
  error: unknown,
  secrets: readonly (string | undefined)[],
  code: ErrorCode = 'internal',
): CofferError {
  if (error instanceof CofferError && error.code !== 'internal') {
    return new CofferError(error.code, redactSecrets(error.message, secrets));
  }
  const detail = describe(error);
  return new CofferError(code, redactSecrets(`${context}: ${detail}`, secrets));
}

/** An error's message; Node's connection errors (an AggregateError for ECONNREFUSED) can have an empty one. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message || (typeof code === 'string' ? code : error.name);
}
