/** The one place a thrown value becomes Vault's `{"errors": [...]}` with a status code. */
import type { ServerResponse } from 'node:http';
import { CofferError } from '../core/errors.js';
import type { Logger } from '../framework/log.js';
import { goJson } from './envelope.js';

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  writeJsonText(res, status, body === undefined ? '' : goJson(body));
}

/** `writeJson` for a body already encoded with `goJson` ('' for none). */
export function writeJsonText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function writeError(res: ServerResponse, error: unknown, log: Logger, requestId: string): void {
  if (error instanceof CofferError) {
    const messages = error.message === '' ? [] : [error.message, ...error.details];
    writeJson(res, error.status, { errors: messages });
    return;
  }
  // Unclassified failures never leak their text: it may hold internals or a secret. A system or
  // driver error's code (ENOSPC, SQLITE_BUSY, 57P01) names the cause without any of its data.
  const code = (error as { code?: unknown } | null)?.code;
  log.error('request failed', {
    request_id: requestId,
    error: error instanceof Error ? error.name : typeof error,
    ...(typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code) ? { code } : {}),
  });
  if (process.env.COFFER_DEBUG_ERRORS === '1')
    log.error(String(error instanceof Error ? error.stack : error));
  writeJson(res, 500, { errors: ['internal error'] });
}
