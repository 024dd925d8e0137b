/**
 * `coffer scan`: secrets hard-coded in files, in git history or in the staged diff. It runs without a
 * server, so it parses its own flags (no HTTP options) and has its own exit codes: 0 clean, 1 findings,
 * 2 error (bad flag, unreadable path, git failure).
 */

import type { ScanSink } from '../../scan/collect.js';
import type { Finding } from '../../scan/finding.js';
import { runScan, type ScanMode, type ScanOptions } from '../../scan/scan.js';
import { type FlagDef, FlagError, flagHelp, parseFlags, trailingFlagWarning } from '../flags.js';
import type { CliIo } from '../io.js';

export const EXIT_CLEAN = 0;
export const EXIT_FOUND = 1;
export const EXIT_ERROR = 2;

const DEFAULT_MAX_FILE_SIZE = '10M';

const FLAGS: FlagDef[] = [
  { name: 'git', kind: 'bool', usage: 'Scan the lines every commit of the repository added (all refs).' },
  { name: 'staged', kind: 'bool', usage: 'Scan the staged changes (for a pre-commit hook).' },
  { name: 'format', kind: 'string', default: 'text', usage: 'Output format: text or json.' },
  {
    name: 'max-file-size',
    kind: 'string',
    default: DEFAULT_MAX_FILE_SIZE,
    usage: `Skip files larger than this many bytes; K, M and G suffixes (default ${DEFAULT_MAX_FILE_SIZE}).`,
  },
  {
    name: 'ignore-file',
    kind: 'string',
    usage:
      'Allow-list of fingerprints and path:GLOB lines (default: .coffer-scan-ignore in the current folder, or at the top of the repository with -git and -staged).',
  },
];

const HELP = `Usage: coffer scan [options] [PATH ...]
       coffer scan -git [REPO]
       coffer scan -staged [REPO]

  Reports secrets hard-coded in files (default: the current folder), in every commit of a git
  repository (-git) or in the staged changes (-staged). Each finding prints as
  path:line: rule: description: redacted; the secret itself is never printed.

  A line containing coffer-scan:allow is never reported. .coffer-scan-ignore in the current
  folder (the repository's top with -git and -staged) lists fingerprints to accept and
  path:GLOB lines to skip. See docs/scan.md.

  Exit codes: 0 nothing found, 1 secrets found, 2 error.

Command Options:

${flagHelp(FLAGS)}
`;

/** `512`, `64K`, `10M`, `1G` (binary multiples). */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new FlagError(`invalid value ${JSON.stringify(text)} for flag -max-file-size`);
  const power = ' kmg'.indexOf(m[2].toLowerCase() || ' ');
  return Number(m[1]) * 1024 ** power;
}

/**
 * A scanned repository names its own files: a control character in a name is shown as `\u001b`, so a
 * name can neither send terminal escapes nor start a line that looks like another finding.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function textLine(f: Finding): string {
  const where = f.commit ? ` (commit ${f.commit} ${f.date})` : '';
  return `${printable(f.file)}:${f.line}: ${f.rule}: ${f.description}: ${f.redacted}${where}`;
}

type Format = 'text' | 'json';

/** The flags as scan options; throws FlagError on a bad flag or combination. */
export function parseScanArgs(args: string[]): { options: ScanOptions; format: Format } {
  const flags = parseFlags(FLAGS, args);
  const format = flags.string('format').toLowerCase();
  if (format !== 'text' && format !== 'json') throw new FlagError(`Invalid output format: ${format}`);
  if (flags.bool('git') && flags.bool('staged')) throw new FlagError('-git and -staged exclude each other');
  const mode: ScanMode = flags.bool('git') ? 'history' : flags.bool('staged') ? 'staged' : 'files';
  if (mode !== 'files' && flags.args.length > 1) throw new FlagError('-git and -staged take one repository');
  const options: ScanOptions = {
    mode,
    paths: flags.args,
    maxFileBytes: parseSize(flags.string('max-file-size')),
    ignoreFile: flags.isSet('ignore-file') ? flags.string('ignore-file') : undefined,
  };
  return { options, format };
}

/** Prints findings as they come (JSON as one array written piece by piece) and counts errors. */
class FindingPrinter implements ScanSink {
  errors = 0;
  private first = true;

  constructor(
    private readonly io: CliIo,
    private readonly format: Format,
  ) {
    if (format === 'json') io.stdout.write('[');
  }

  finding(f: Finding): void {
    if (this.format === 'text') this.io.stdout.write(`${textLine(f)}\n`);
    else this.io.stdout.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(f)}`);
    this.first = false;
  }

  error(message: string): void {
    this.errors += 1;
    this.io.stderr.write(`coffer scan: ${printable(message)}\n`);
  }

  close(): void {
    if (this.format === 'json') this.io.stdout.write(this.first ? ']\n' : '\n]\n');
  }
}

export async function scanCommand(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseScanArgs>;
  try {
    parsed = parseScanArgs(args);
  } catch (error) {
    if (error instanceof FlagError && error.help) {
      io.stdout.write(HELP);
      return EXIT_CLEAN;
    }
    io.stderr.write(`${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
  const warning = trailingFlagWarning(parsed.options.paths);
  if (warning) io.stderr.write(`${warning}\n`);
  const printer = new FindingPrinter(io, parsed.format);
  let findings = 0;
  try {
    ({ findings } = await runScan(parsed.options, printer));
  } catch (error) {
    printer.error((error as Error).message);
  }
  printer.close();
  if (printer.errors > 0) return EXIT_ERROR;
  return findings > 0 ? EXIT_FOUND : EXIT_CLEAN;
}
