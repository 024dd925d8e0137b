/**
 * Scans the lines that commits added (`git log -p`) or that are staged (`git diff --cached`). git runs with an
 * argument array, never a shell, and its output is parsed as it streams, so history size does not matter.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { FindingCollector, Place } from './collect.js';
import { LineDetector } from './detect.js';
import { readLines, type TextLine } from './lines.js';

/** Commit headers start with a NUL byte, which git never prints inside a text diff. */
const COMMIT_FORMAT = '--format=%x00%H %aI';
/** Plain paths, our own diff format whatever the user's config (external diff tools, textconv, colour). */
const DIFF_OPTIONS = [
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  // diff.noprefix or diff.mnemonicPrefix would change the `b/` that paths are read after.
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '-U0',
];
/**
 * The scanned repository is untrusted, and its .git/config can name programs: core.fsmonitor runs when
 * `diff --cached` reads the index, gpg.program when log.showSignature meets a signed commit. Both off.
 * diff.external and textconv drivers are off through DIFF_OPTIONS; no pager runs as stdout is a pipe.
 */
const GIT_CONFIG = [
  '-c',
  'core.quotepath=off',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'log.showSignature=false',
];

// --cc: a merge commit shows the lines its resolution added (new to every parent), which plain -p omits.
export const HISTORY_ARGS = ['log', '-p', '--cc', '--all', COMMIT_FORMAT, ...DIFF_OPTIONS];
export const STAGED_ARGS = ['diff', '--cached', ...DIFF_OPTIONS];

/** `b/src/x.ts` or a C-quoted `"b/a\tb.ts"`; undefined for `/dev/null` (a deleted file). */
export function diffPath(raw: string): string | undefined {
  let path = raw.trim();
  if (path.startsWith('"')) {
    try {
      path = JSON.parse(path) as string;
    } catch {
      path = path.slice(1, -1);
    }
  }
  if (path === '/dev/null') return undefined;
  return path.startsWith('b/') ? path.slice(2) : path;
}

/** Reads a unified diff line by line; added lines go to the detector with their new line numbers. */
export class DiffParser {
  private place: Place | undefined;
  private commit: { commit: string; date: string } | undefined;
  /** Lines left in the hunk of each parent: one for a commit, two or more in a merge's combined diff. */
  private oldLeft: number[] = [];
  private newLeft = 0;
  private newLine = 0;
  private inAddedLine = false;
  private detector = new LineDetector();

  constructor(private readonly collector: FindingCollector) {}

  line(text: string, continued: boolean): void {
    if (continued) {
      if (this.inAddedLine) this.scan(text, this.newLine - 1);
      return;
    }
    if (this.newLeft > 0 || this.oldLeft.some((n) => n > 0)) {
      this.hunkLine(text);
      return;
    }
    this.inAddedLine = false;
    if (text.startsWith('\0')) {
      const [commit, date] = text.slice(1).split(' ');
      this.commit = { commit, date };
      this.startFile(undefined);
    } else if (text.startsWith('diff --git ') || text.startsWith('diff --cc ')) this.startFile(undefined);
    else if (text.startsWith('+++ ')) this.startFile(diffPath(text.slice(4)));
    else if (text.startsWith('@@')) this.startHunk(text);
  }

  private startFile(path: string | undefined): void {
    this.detector = new LineDetector(path);
    const wanted = path !== undefined && this.collector.wants(path);
    this.place = wanted ? { file: path, key: path, ...this.commit } : undefined;
  }

  /** `@@ -1,2 +1,3 @@`, or in a merge's combined diff `@@@ -1,2 -1,2 +1,3 @@@` (one range per parent). */
  private startHunk(text: string): void {
    const m = /^(@@+) ((?:-\d+(?:,\d+)? )+)\+(\d+)(?:,(\d+))? \1/.exec(text);
    if (!m || m[2].trim().split(' ').length !== m[1].length - 1) return;
    this.oldLeft = m[2]
      .trim()
      .split(' ')
      .map((range) => {
        const count = range.split(',')[1];
        return count === undefined ? 1 : Number(count);
      });
    this.newLine = Number(m[3]);
    this.newLeft = m[4] === undefined ? 1 : Number(m[4]);
    this.detector.end();
  }

  /**
   * One column per parent, then the text. A `-` in a column: the line was that parent's and is gone.
   * Otherwise the line is in the new file, and a `+` column says it is new to that parent. Only a line
   * new to every parent is scanned: in a merge, one from a parent was scanned in that parent's commit.
   */
  private hunkLine(text: string): void {
    const columns = text.slice(0, this.oldLeft.length);
    this.inAddedLine = false;
    if (columns.length < this.oldLeft.length || /[^ +-]/.test(columns)) return;
    if (columns.includes('-')) {
      for (let i = 0; i < columns.length; i++) if (columns[i] === '-') this.oldLeft[i] -= 1;
      return;
    }
    for (let i = 0; i < columns.length; i++) if (columns[i] === ' ') this.oldLeft[i] -= 1;
    this.inAddedLine = !columns.includes(' ');
    if (this.inAddedLine) this.scan(text.slice(columns.length), this.newLine);
    this.newLine += 1;
    this.newLeft -= 1;
  }

  private scan(text: string, line: number): void {
    if (!this.place) return;
    for (const match of this.detector.line(text, line)) this.collector.add(this.place, match);
  }
}

/** Runs git with an argument array (never a shell), hands it each line of stdout; rejects when git fails. */
async function runGit(cwd: string, args: string[], onLine: (line: TextLine) => void): Promise<void> {
  const folder = await stat(cwd).catch((error: NodeJS.ErrnoException) => error);
  if (folder instanceof Error || !folder.isDirectory()) {
    throw new Error(`cannot read ${cwd}: ${folder instanceof Error ? folder.code : 'not a folder'}`);
  }
  const child = spawn('git', [...GIT_CONFIG, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  // Settles with an Error rather than rejecting: git may fail to start while stdout is still being read.
  const exited = new Promise<number | Error>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve(new Error(`cannot run git: ${error.code}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  try {
    for await (const line of readLines(child.stdout, false)) onLine(line);
  } catch (error) {
    child.kill();
    throw error;
  }
  const code = await exited;
  if (code instanceof Error) throw code;
  if (code !== 0) throw new Error(`git ${args[0]} failed: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
}

/** Feeds the diff that git prints for `args` (HISTORY_ARGS or STAGED_ARGS), run in `cwd`, to the collector. */
export async function scanGitDiff(cwd: string, args: string[], collector: FindingCollector): Promise<void> {
  const parser = new DiffParser(collector);
  await runGit(cwd, args, ({ text, continued }) => parser.line(text, continued));
}

/** The repository's top folder: ignore files and reported paths are relative to it. */
export async function gitTopLevel(cwd: string): Promise<string> {
  let top = '';
  await runGit(cwd, ['rev-parse', '--show-toplevel'], ({ text }) => {
    top ||= text;
  });
  return top;
}
