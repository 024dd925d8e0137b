/** Scans files and directory trees, streaming each file, skipping what cannot hold source secrets. */
import { createReadStream } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { FindingCollector } from './collect.js';
import { LineDetector } from './detect.js';
import { BinaryFileError, readLines } from './lines.js';

/** Folders never worth reading: git's object store (see `--git`) and installed dependencies. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

export interface FileScanOptions {
  /** Files larger than this are skipped (they are data, not source). */
  maxFileBytes: number;
  /** Folder that baseline keys and path globs are relative to. */
  root: string;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

function keyOf(root: string, file: string): string {
  const rel = relative(root, resolve(file));
  const key = rel.startsWith('..') || rel === '' ? file : rel;
  return key.split(sep).join('/');
}

async function scanFile(file: string, key: string, collector: FindingCollector): Promise<void> {
  const detector = new LineDetector(file);
  const stream = createReadStream(file);
  try {
    for await (const { text, line } of readLines(stream)) {
      for (const match of detector.line(text, line)) collector.add({ file, key }, match);
    }
    collector.files += 1;
  } catch (error) {
    if (error instanceof BinaryFileError) return;
    collector.error(`cannot read ${file}: ${errorCode(error)}`);
  } finally {
    stream.destroy();
  }
}

async function scanTree(dir: string, options: FileScanOptions, collector: FindingCollector): Promise<void> {
  let entries: string[];
  try {
    const handle = await opendir(dir);
    entries = [];
    for await (const entry of handle) {
      // Symbolic links are not followed: they can loop, or lead out of the tree being scanned.
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) entries.push(`${entry.name}/`);
      else if (entry.isFile()) entries.push(entry.name);
    }
  } catch (error) {
    collector.error(`cannot read ${dir}: ${errorCode(error)}`);
    return;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (name.endsWith('/')) await scanTree(path, options, collector);
    else await scanOneFile(path, options, collector);
  }
}

async function scanOneFile(
  file: string,
  options: FileScanOptions,
  collector: FindingCollector,
): Promise<void> {
  const key = keyOf(options.root, file);
  if (!collector.wants(key)) return;
  try {
    const info = await stat(file);
    // A FIFO or a device named on the command line could block the scan or never end.
    if (!info.isFile()) {
      collector.error(`cannot read ${file}: not a regular file`);
      return;
    }
    if (info.size > options.maxFileBytes) return;
  } catch (error) {
    collector.error(`cannot read ${file}: ${errorCode(error)}`);
    return;
  }
  await scanFile(file, key, collector);
}

/** Each path is a file or a directory (walked); an ignore glob applies to both. */
export async function scanPaths(
  paths: string[],
  options: FileScanOptions,
  collector: FindingCollector,
): Promise<void> {
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (error) {
      collector.error(`cannot read ${path}: ${errorCode(error)}`);
      continue;
    }
    if (isDir) await scanTree(join(path), options, collector);
    else await scanOneFile(join(path), options, collector);
  }
}
