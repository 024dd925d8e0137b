/**
 * Process hardening for `coffer server` (SECURITY.md 1.5, K5): no core dumps, no inspector on SIGUSR1.
 *
 * A core dump of an unsealed server holds the keyring and every secret it has served; Node has no
 * setrlimit, so the server asks util-linux's `prlimit` to set its own RLIMIT_CORE to 0 (soft and hard,
 * so nothing in the process can raise it again). prlimit gets no secret: its argv is the pid, and its
 * environment is PATH only. Where it is missing or refused, the server says so and carries on; the
 * operator's `ulimit -c 0` or systemd's `LimitCORE=0` then does the job (README, "Process hardening").
 */
import { execFile } from 'node:child_process';

/** Resolves to a warning to log when the limit could not be set, else undefined. */
export function disableCoreDumps(): Promise<string | undefined> {
  if (process.platform !== 'linux') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      'prlimit',
      ['--pid', String(process.pid), '--core=0:0'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 10_000 },
      (error) =>
        resolve(
          error
            ? `could not set the core file size limit to 0 with prlimit (${(error as NodeJS.ErrnoException).code ?? error.name}); set it before starting (ulimit -c 0, systemd LimitCORE=0)`
            : undefined,
        ),
    );
  });
}

/**
 * Node starts an inspector on 127.0.0.1:9229 when the process gets SIGUSR1 (Node 20 has no
 * `--disable-sigusr1`); anyone attached to it can read the keyring. A JS listener for the signal
 * replaces Node's own handler, so the inspector never starts; `node --inspect` still works for those
 * who ask for it at start.
 */
export function refuseInspectorSignal(onSignal: () => void): void {
  process.on('SIGUSR1', onSignal);
}
