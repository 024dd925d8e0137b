/** Starts the real `coffer agent` process for end-to-end tests, with its output watched by the canary sweep. */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { watchOutput } from './canary.js';
import { BIN } from './server.js';

export interface TestAgent {
  process: ChildProcess;
  /** The API proxy's addresses, in listener order. */
  addresses: string[];
  output: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface AgentStartOptions {
  /** Runs the agent under this umask, e.g. 0 to check that modes do not depend on it. */
  umask?: number;
  args?: string[];
  /** Resolve as soon as the process runs, without waiting for the start-up banner. */
  noWait?: boolean;
  env?: Record<string, string>;
}

/** Writes `config` to `dir/agent.hcl` and starts `coffer agent -config=…` on it. */
export async function startAgent(
  dir: string,
  config: string,
  options: AgentStartOptions = {},
): Promise<TestAgent> {
  const configFile = join(dir, `agent-${Date.now()}-${Math.random().toString(36).slice(2)}.hcl`);
  await writeFile(configFile, config, { mode: 0o600 });
  const argv = [process.execPath, BIN, 'agent', `-config=${configFile}`, ...(options.args ?? [])];
  const [command, args] =
    options.umask === undefined
      ? [argv[0], argv.slice(1)]
      : ['/bin/sh', ['-c', `umask ${options.umask.toString(8).padStart(3, '0')}; exec "$0" "$@"`, ...argv]];
  // VAULT_TOKEN from the test's own environment must not reach the agent: it never needs one.
  const { VAULT_TOKEN: _token, ...env } = process.env;
  const child = spawn(command, args, { env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
    if (process.env.DEBUG_AGENT) process.stderr.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  watchOutput(`agent (pid ${child.pid})`, () => output);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (!options.noWait) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not start:\n${output}`)), 20_000);
      const check = () => {
        if (output.includes('Coffer agent started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`agent exited with ${code}:\n${output}`));
      });
    });
  }
  return {
    process: child,
    addresses: [...output.matchAll(/Api Address: (\S+)/g)].map((m) => m[1]),
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
