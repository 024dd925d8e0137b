/**
 * The file sink: the token is written to a temporary file in the sink's directory and renamed over
 * the sink, so a reader polling it sees the old token or the new one, never an empty or partial file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * 0600, not Vault's 0640: SECURITY.md J1/K4 want files holding secrets readable by their owner only.
 * Vault's group bit serves an app running as another user in the agent's group; here that takes an
 * explicit `mode = 0640`.
 */
export const DEFAULT_SINK_MODE = 0o600;

/** `mode` 0 keeps the file's creation mode (0600), as Vault's `mode = 0000` leaves the mode alone. */
export async function writeSinkFile(path: string, content: string, mode = DEFAULT_SINK_MODE): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse a file someone placed there; 0600 from the first byte.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    // fchmod is not subject to the umask, so the configured mode is the mode the file gets.
    if (mode !== 0) await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
