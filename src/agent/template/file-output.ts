/** Writes a rendered template: atomically (temp file + rename in the same directory), with its mode whatever the umask. */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_PERMS } from './config.js';

export interface OutputFile {
  destination: string;
  /** Unset: the mode of the file already there, else `DEFAULT_PERMS`. */
  perms?: number;
  createDestDirs: boolean;
  backup: boolean;
}

async function currentContents(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `contents` unless the file already holds exactly that; returns whether it wrote. */
export async function writeOutput(file: OutputFile, contents: string): Promise<boolean> {
  const existing = await currentContents(file.destination);
  if (existing === contents) return false;
  const perms =
    file.perms ?? (existing === undefined ? DEFAULT_PERMS : (await stat(file.destination)).mode & 0o7777);
  const dir = dirname(file.destination);
  // 0700: the directory of a secrets file is private too (SECURITY.md K4); Vault uses 0755.
  if (file.createDestDirs) await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file.destination)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(contents);
    // fchmod after creating: the mode asked for, not the mode less the umask.
    await handle.chmod(perms);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  if (file.backup && existing !== undefined) {
    const backup = `${file.destination}.bak`;
    await copyFile(file.destination, backup);
    await chmod(backup, perms);
  }
  await rename(temp, file.destination);
  return true;
}
