/** The private temporary file that the sink and template writers rename over their destination. */
import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A new file in `dir` holding `contents`, synced to disk; returns its path. Created 0600 with O_EXCL
 * under a random name, so a symlink planted at that name is never followed; then given `mode` by
 * fchmod (not less the umask), or left 0600 when `mode` is undefined. Removed again on any failure
 * (ENOSPC included), so the file being replaced stays as it was.
 */
export async function writeTempFile(
  dir: string,
  name: string,
  contents: string | Buffer,
  mode: number | undefined,
): Promise<string> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(contents);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  return temp;
}
