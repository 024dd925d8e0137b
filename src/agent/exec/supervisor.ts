/**
 * Exec (process-supervisor) mode: renders the `env_template` blocks, starts `exec.command` with them in
 * its environment (never in its arguments), restarts it with the stop signal when a value changes, and
 * ends with the child's exit code when the child exits on its own. Rendered values never reach the
 * agent's log, also when a template fails (GHSA-444v-8vxr-p36h, SECURITY.md J4).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { renderRound } from '../template/render-round.js';
import { compileStanza, createStore, RenderLoop, type TemplateTaskOptions } from '../template/runner.js';
import type { ExecStanzas } from './config.js';

/** How long a child may take to stop after the stop signal before it is killed. */
const STOP_GRACE_MS = 30_000;

/** The shell convention for a child ended by a signal: 128 + the signal's number. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

class Child {
  private readonly process: ChildProcess;
  readonly exited: Promise<number>;
  stopping = false;
  /** Why the command could not start (ENOENT, EACCES): a code, never the environment. */
  startError: string | undefined;

  constructor(command: readonly string[], env: NodeJS.ProcessEnv) {
    this.process = spawn(command[0], command.slice(1), { env, stdio: 'inherit' });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
      // A command that cannot start: 127, as a shell reports "command not found".
      this.process.once('error', (error: NodeJS.ErrnoException) => {
        this.startError = error.code ?? 'error';
        resolve(127);
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  async stop(signal: NodeJS.Signals): Promise<number> {
    this.stopping = true;
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Node's own error for a NUL byte in the environment quotes the value: refuse it first, by name only. */
function refuseNulBytes(env: Record<string, string>): void {
  const bad = Object.keys(env).find((name) => env[name].includes('\0'));
  if (bad)
    throw new Error(
      `env_template "${bad}" rendered a value with a NUL byte, which an environment cannot hold`,
    );
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

export interface ExecTaskOptions extends TemplateTaskOptions {
  /** Called with each child's pid as it starts (for status and tests). */
  onStart?: (pid: number | undefined) => void;
}

/**
 * Runs exec mode until the child exits on its own (resolves with its exit code) or `signal` aborts (the
 * child is stopped; resolves with its exit code). Rejects on a failure with `exit_on_retry_failure`.
 */
export async function runExec(config: ExecStanzas, options: ExecTaskOptions): Promise<number> {
  const { log } = options;
  const engine = config.templateConfig;
  const compiled = await Promise.all(config.envTemplates.map(compileStanza));
  // The loop also ends when the child exits on its own.
  const finished = new AbortController();
  const stopOnAbort = () => finished.abort();
  options.signal.addEventListener('abort', stopOnAbort, { once: true });
  const inner = { ...options, signal: finished.signal };
  const loop = new RenderLoop(finished.signal, engine.staticSecretRenderIntervalMs);
  const store = createStore(engine, inner, loop);
  const unsubscribe = options.tokens.subscribe(() => {
    store.clear();
    loop.trigger();
  });
  let child: Child | undefined;
  let current: Record<string, string> | undefined;
  let exitCode: number | undefined;

  const start = (env: Record<string, string>) => {
    const started = new Child(config.exec.command, { ...(options.env ?? process.env), ...env });
    child = started;
    current = env;
    options.onStart?.(started.pid);
    log.info('started the child process', { pid: started.pid });
    void started.exited.then((code) => {
      if (started.stopping) return;
      if (started.startError) log.error('the child process could not start', { error: started.startError });
      else log.info('the child process exited', { code });
      exitCode = code;
      finished.abort();
    });
  };

  const round = async () => {
    const env = await renderEnv(compiled, config, inner, store, loop);
    if (!env || finished.signal.aborted) return;
    refuseNulBytes(env);
    if (!child) {
      start(env);
      return;
    }
    if (sameEnv(env, current ?? {})) return;
    if (config.exec.restartOnSecretChanges === 'never') {
      current = env;
      return;
    }
    log.info('a secret changed: restarting the child process', { signal: config.exec.restartStopSignal });
    await child.stop(config.exec.restartStopSignal);
    if (!finished.signal.aborted) start(env);
  };

  try {
    await loop.run(round);
  } catch (error) {
    // A fatal failure ends the agent, and the agent does not leave its child behind.
    await child?.stop(config.exec.restartStopSignal);
    throw error;
  } finally {
    unsubscribe();
    store.clear();
    options.signal.removeEventListener('abort', stopOnAbort);
  }
  if (exitCode !== undefined) return exitCode;
  return child ? child.stop(config.exec.restartStopSignal) : 0;
}

/** Renders the env templates; undefined after an error that is logged and retried. */
async function renderEnv(
  compiled: Awaited<ReturnType<typeof compileStanza>>[],
  config: ExecStanzas,
  options: TemplateTaskOptions,
  store: ReturnType<typeof createStore>,
  loop: RenderLoop,
): Promise<Record<string, string> | undefined> {
  const { log } = options;
  const exitOnFailure = config.templateConfig.exitOnRetryFailure;
  let results: Awaited<ReturnType<typeof renderRound>>;
  try {
    results = await renderRound(compiled, store, options.env);
  } catch (error) {
    if (options.signal.aborted) return undefined;
    log.error('fetching the secrets of the env templates failed after all retries', {
      error: (error as Error).message,
    });
    if (exitOnFailure) throw error;
    loop.retryLater();
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const [i, result] of results.entries()) {
    const name = config.envTemplates[i].name;
    if (!result.ok) {
      // The message names the template, line and key; the rendered text is never logged.
      log.error(`rendering env_template "${name}" failed`, { error: result.error.message });
      if (exitOnFailure) throw result.error;
      loop.retryLater();
      return undefined;
    }
    env[name] = result.text;
  }
  loop.succeeded();
  return env;
}
