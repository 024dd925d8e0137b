/** The default token helper: the token kept in `~/.vault-token`, written atomically with mode 0600. */
import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Record<string, string | undefined>;

/**
 * Vault's internal helper always uses `~/.vault-token`; `COFFER_TOKEN_PATH` overrides it the way OpenBao's
 * `BAO_TOKEN_PATH` does, so the file can live elsewhere (tests, several profiles).
 */
export function tokenFilePath(env: Env = process.env): string {
  if (env.COFFER_TOKEN_PATH) return env.COFFER_TOKEN_PATH;
  return join(env.HOME || env.USERPROFILE || homedir(), '.vault-token');
}

/** The stored token, trimmed; undefined when there is no file. */
export function readTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Write-then-rename, so a crash never leaves a half-written file and the mode is always 0600. */
export async function storeTokenFile(path: string, token: string): Promise<void> {
  const tmp = `${path}.tmp`;
  // A left-over temp file would keep its old mode: start from nothing.
  await rm(tmp, { force: true });
  await writeFile(tmp, token, { mode: 0o600, flag: 'wx' });
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function eraseTokenFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
