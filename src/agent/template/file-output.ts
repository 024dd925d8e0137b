/** Writes a rendered template: atomically (temp file + rename in the same directory), with its mode whatever the umask. */
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeTempFile } from '../temp-file.js';
import { DEFAULT_PERMS } from './config.js';

export interface OutputFile {
  destination: string;
  /** Unset: the mode of the file already there, else `DEFAULT_PERMS`. */
  perms?: number;
  createDestDirs: boolean;
  backup: boolean;
}

interface Existing {
  contents: Buffer;
  /** Its mode, kept when `perms` is unset; only for a file of the agent's own user (see below). */
  mode: number | undefined;
}

/**
 * The regular file at `path`, read without following a symlink (O_NOFOLLOW) and without blocking on a
 * FIFO (O_NONBLOCK). Anything else there (a symlink another user planted, a FIFO, a directory) is not
 * read, compared or copied: the rename replaces a symlink itself, never its target.
 */
async function currentFile(path: string): Promise<Existing | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENXIO') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    // A file another user put there (in a shared directory) does not choose the secret's mode.
    const own = process.getuid === undefined || info.uid === process.getuid();
    return { contents: await handle.readFile(), mode: own ? info.mode & 0o7777 : undefined };
  } finally {
    await handle.close();
  }
}

/** Writes `contents` unless the file already holds exactly that; returns whether it wrote. */
export async function writeOutput(file: OutputFile, contents: string): Promise<boolean> {
  const existing = await currentFile(file.destination);
  if (existing?.contents.equals(Buffer.from(contents))) return false;
  const perms = file.perms ?? existing?.mode ?? DEFAULT_PERMS;
  const dir = dirname(file.destination);
  const name = basename(file.destination);
  // 0700: the directory of a secrets file is private too (SECURITY.md K4); Vault uses 0755.
  if (file.createDestDirs) await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = await writeTempFile(dir, name, contents, perms);
  try {
    if (file.backup && existing !== undefined) {
      // Also written by rename: a symlink planted at <destination>.bak is replaced, not written through.
      const backup = await writeTempFile(dir, `${name}.bak`, existing.contents, perms);
      try {
        await rename(backup, `${file.destination}.bak`);
      } catch (error) {
        await rm(backup, { force: true });
        throw error;
      }
    }
    await rename(temp, file.destination);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return true;
}
