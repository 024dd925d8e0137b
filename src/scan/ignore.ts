/**
 * `.coffer-scan-ignore`: fingerprints of accepted findings (a baseline) and `path:GLOB` lines for files
 * that are never scanned; `#` starts a comment.
 */
import { readFile } from 'node:fs/promises';

export const IGNORE_FILE = '.coffer-scan-ignore';

export interface IgnoreList {
  fingerprints: Set<string>;
  paths: RegExp[];
}

export const EMPTY_IGNORE: IgnoreList = { fingerprints: new Set(), paths: [] };

/** `**` crosses folders, `*` and `?` stay within one; a glob without `/` matches a name at any depth. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const anywhere = !glob.includes('/');
  return new RegExp(`${anywhere ? '(?:^|/)' : '^'}${source}$`);
}

export function parseIgnore(text: string): IgnoreList {
  const list: IgnoreList = { fingerprints: new Set(), paths: [] };
  for (const raw of text.split('\n')) {
    const entry = raw.replace(/#.*/, '').trim();
    if (entry === '') continue;
    if (entry.startsWith('path:')) list.paths.push(globToRegExp(entry.slice(5).trim().replace(/^\.\//, '')));
    else list.fingerprints.add(entry.toLowerCase());
  }
  return list;
}

/** The list at `file`; none when the file does not exist. */
export async function loadIgnore(file: string): Promise<IgnoreList> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_IGNORE;
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseIgnore(text);
}

export function isIgnoredPath(list: IgnoreList, file: string): boolean {
  const normal = file.replace(/\\/g, '/').replace(/^\.\//, '');
  return list.paths.some((p) => p.test(normal));
}
