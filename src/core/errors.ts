/** Coded errors: a handler throws one, `http/errors.ts` renders it once as Vault's `{"errors": [...]}`. */

const STATUS = {
  invalid_request: 400,
  permission_denied: 403,
  not_found: 404,
  unsupported_operation: 405,
  body_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  upstream: 502,
  sealed: 503,
  standby: 503,
} as const;

export type ErrorCode = keyof typeof STATUS;

export class CofferError extends Error {
  readonly code: ErrorCode;
  /** Extra error strings after `message` (Vault's multierror lists). */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { details?: string[] }) {
    super(message, options);
    this.name = 'CofferError';
    this.code = code;
    this.details = options?.details ?? [];
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export const invalid = (message: string) => new CofferError('invalid_request', message);
/** The one opaque denial: never says whether the path exists. */
export const denied = () => new CofferError('permission_denied', 'permission denied');
export const notFound = (message = '') => new CofferError('not_found', message);
export const unsupported = (message = 'unsupported operation') =>
  new CofferError('unsupported_operation', message);
export const sealedError = () => new CofferError('sealed', 'Vault is sealed');
/** A request that reached a standby's core (it stepped down while the request was on its way). */
export const standbyError = () => new CofferError('standby', 'Vault is in standby mode');
export const internal = (message = 'internal error', options?: ErrorOptions) =>
  new CofferError('internal', message, options);

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Vault's go-multierror text, which clients see verbatim (`1 error occurred:\n\t* permission denied\n\n`). */
export function multiErrorText(messages: string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join('\n')}\n\n`;
}

/** A valid token whose policies say no. */
export const deniedByPolicy = () =>
  new CofferError('permission_denied', multiErrorText(['permission denied']));
/** A missing, unknown, expired, used-up or CIDR-blocked token. */
export const invalidToken = () =>
  new CofferError('permission_denied', multiErrorText(['permission denied', 'invalid token']));
