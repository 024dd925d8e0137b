/**
 * The file sink: the token is written to a temporary file in the sink's directory and renamed over
 * the sink, so a reader polling it sees the old token or the new one, never an empty or partial file.
 */
import { rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeTempFile } from '../temp-file.js';

/**
 * 0600, not Vault's 0640: SECURITY.md J1/K4 want files holding secrets readable by their owner only.
 * Vault's group bit serves an app running as another user in the agent's group; here that takes an
 * explicit `mode = 0640`.
 */
const DEFAULT_SINK_MODE = 0o600;

/** `mode` 0 keeps the file's creation mode (0600), as Vault's `mode = 0000` leaves the mode alone. */
export async function writeSinkFile(path: string, content: string, mode = DEFAULT_SINK_MODE): Promise<void> {
  const temp = await writeTempFile(dirname(path), basename(path), content, mode === 0 ? undefined : mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
