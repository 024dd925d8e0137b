/** Runs `main` in-process with captured streams, for the CLI's unit tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { InStream } from './io.js';
import { main } from './main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Pretend stdout is a terminal (changes `-field` newline handling). */
  tty?: boolean;
}

export async function runCli(argv: string[], options: CliRunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]) as InStream;
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: { HOME: '/nonexistent-home', ...options.env },
  });
  return { code, stdout, stderr };
}

/** A temporary HOME (for `~/.vault-token`), removed by the returned cleanup. */
export async function tempHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'coffer-cli-'));
  return { home, cleanup: () => rm(home, { recursive: true, force: true }) };
}
