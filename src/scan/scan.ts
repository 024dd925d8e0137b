/** One scan from options to findings: chooses the root, loads the ignore file, runs files or git. */
import { join, resolve } from 'node:path';
import { FindingCollector, type ScanSink } from './collect.js';
import { scanPaths } from './files.js';
import { gitTopLevel, HISTORY_ARGS, STAGED_ARGS, scanGitDiff } from './git.js';
import { IGNORE_FILE, loadIgnore } from './ignore.js';

export type ScanMode = 'files' | 'history' | 'staged';

export interface ScanOptions {
  mode: ScanMode;
  /** Files and folders (mode `files`), or the repository folder (git modes; default: cwd). */
  paths: string[];
  maxFileBytes: number;
  /** Defaults to `.coffer-scan-ignore` at the scan root. */
  ignoreFile?: string;
}

export interface ScanSummary {
  files: number;
  findings: number;
}

/**
 * The scan root: the repository's top folder for git scans, else the current folder (where CI and hooks
 * run), whatever paths are scanned below it, so baselines hold however the scan is invoked.
 */
async function scanRoot(options: ScanOptions): Promise<string> {
  if (options.mode !== 'files') return gitTopLevel(resolve(options.paths[0] ?? '.'));
  return process.cwd();
}

/** Throws only when nothing can be scanned (no repository, unreadable ignore file); path errors go to the sink. */
export async function runScan(options: ScanOptions, sink: ScanSink): Promise<ScanSummary> {
  const root = await scanRoot(options);
  const ignore = await loadIgnore(options.ignoreFile ?? join(root, IGNORE_FILE));
  const collector = new FindingCollector(ignore, sink);
  if (options.mode === 'files') {
    const paths = options.paths.length ? options.paths : ['.'];
    await scanPaths(paths, { maxFileBytes: options.maxFileBytes, root }, collector);
  } else {
    await scanGitDiff(root, options.mode === 'history' ? HISTORY_ARGS : STAGED_ARGS, collector);
  }
  return { files: collector.files, findings: collector.count };
}
