/** Runs a template's `command` after its file changed, bounded by `command_timeout`. */
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/** argv form only: a string command was turned into `/bin/sh -c …` by the config parser, as Vault does. */
export function runCommand(
  argv: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Its own process group, as consul-template's Setpgid: the timeout and the stop reach what the
    // shell started too, not the shell alone.
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, timeoutMs);
    const onAbort = () => killGroup('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`command could not start: ${(error as NodeJS.ErrnoException).code ?? 'error'}`));
    });
    child.once('exit', (code, exitSignal) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal: exitSignal, timedOut });
    });
  });
}
