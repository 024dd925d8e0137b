/** What an auto-auth method does: read its credentials and log in, answering the new token. */

import { readFile } from 'node:fs/promises';
import type { VaultClient } from '../../client/client.js';
import { invalid } from '../../core/errors.js';

export interface LoginResult {
  token: string;
  /** Seconds the token lives from now; 0 for a token that never expires. */
  leaseSeconds: number;
  renewable: boolean;
}

export interface AuthMethod {
  /** Logs in with `client`, which carries no token. Errors never hold a credential. */
  login(client: VaultClient): Promise<LoginResult>;
}

/** A login's `auth` block, or an error that says what was missing (never what was sent). */
function loginResult(body: unknown, what: string): LoginResult {
  const auth = (body as { auth?: Record<string, unknown> } | undefined)?.auth;
  if (!auth || typeof auth.client_token !== 'string' || auth.client_token === '')
    throw new Error(`${what}: the response carried no token`);
  return {
    token: auth.client_token,
    leaseSeconds: Number(auth.lease_duration) || 0,
    renewable: auth.renewable === true,
  };
}

/** PUT `<mount>/login` without a token (the agent logs in as nobody) and without wrapping. */
export async function loginAt(
  client: VaultClient,
  mountPath: string,
  body: Record<string, unknown>,
): Promise<LoginResult> {
  const response = await client.request({
    method: 'PUT',
    path: `${mountPath}/login`,
    body,
    token: null,
    wrapTtl: null,
  });
  return loginResult(response.body, `login at ${mountPath}`);
}

/**
 * A credential file's trimmed contents. `undefined` when the file is absent (it may have been
 * removed after an earlier read); an empty file is treated the same way, as Vault does.
 */
export async function readCredentialFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // The errno and path only: the message of a read error holds no file content.
    throw invalid(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}
