/** Starts a real Coffer server process for the benchmark, pinned to its own core, initialised and unsealed. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN = new URL('../bin/coffer.js', import.meta.url).pathname;
const PG_STORAGE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function pinPrefix(core: number): string[] {
  const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
  return hasTaskset ? ['taskset', '-c', String(core)] : [];
}

/**
 * Re-executes the calling script pinned to core 1 so the server (core 0) and the load never share a
 * core (bench/run.ts and bench/cpu.ts); returns true in the parent, which has nothing left to do.
 */
export function ensurePinned(): boolean {
  if (process.env.COFFER_BENCH_PINNED || cpus().length < 2) return false;
  const pin = pinPrefix(1);
  if (!pin.length) return false;
  const child = spawnSync(
    pin[0],
    [...pin.slice(1), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        COFFER_BENCH_PINNED: '1',
        COFFER_BENCH_STARTED_AT: String(performance.timeOrigin),
      },
    },
  );
  process.exit(child.status ?? 1);
}

export interface BenchServer {
  url: string;
  /** Its data directory (sqlite: `coffer.db` inside). */
  dir: string;
  storage: string;
  token: string;
  child: ChildProcess;
  startedAt: number;
  firstServedMs: number;
  /**
   * Calls `handle` with each server log line matching `pattern` as it is written, and resolves once
   * `handle` returns true. Info lines are kept for this and not shown; warnings, errors and anything
   * else the server writes to stderr go to this process's stderr.
   */
  watchLog(pattern: RegExp, handle: (line: string) => boolean): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON bodies
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** A JSON call to the server at `url` (`/v1/<path>`), with a token when given. */
export function apiOf(url: string): BenchServer['api'] {
  return async (method, path, body, token) => {
    const res = await fetch(`${url}/v1/${path}`, {
      method,
      headers: token ? { 'X-Vault-Token': token } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Servers started by this process, for their PostgreSQL table names. */
let servers = 0;

/** A run's PostgreSQL table goes with its server: runs used to leave 1-100 MB tables behind each. */
async function dropTable(table: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_STORAGE_URL });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    await client.end();
  }
}

export async function startBenchServer(
  storage: string,
  options: { extraConfig?: string; dir?: string; nodeArgs?: string[]; bin?: string; node?: string } = {},
): Promise<BenchServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'coffer-bench-'));
  // One table per server (bench/cpu.ts runs two side by side), dropped when it stops.
  const table = `coffer_bench_${process.pid}_${++servers}`;
  const storageBlock =
    storage === 'sqlite'
      ? `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\n`
      : storage === 'postgresql'
        ? `storage "postgresql" {\n  connection_url = "${PG_STORAGE_URL}"\n  table = "${table}"\n}\n`
        : 'storage "inmem" {}\n';
  const configFile = join(dir, 'bench.hcl');
  writeFileSync(
    configFile,
    `${storageBlock}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\nlog_level = "info"\n${options.extraConfig ?? ''}`,
  );
  const pin = pinPrefix(0);
  // Node loads its fetch implementation on first use (~35 ms here): do it before the clock starts, so
  // cold-start measures the server, not this process.
  await (await fetch('data:,warm')).text();
  const startedAt = performance.now();
  // `options.node`: another Node.js executable for the server (bench/cpu.ts's `--node-bins`).
  const node = options.node ?? process.execPath;
  const child = spawn(
    pin[0] ?? node,
    [
      ...pin.slice(1),
      ...(pin.length ? [node] : []),
      ...(options.nodeArgs ?? []),
      options.bin ?? BIN,
      'server',
      `-config=${configFile}`,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const watchers = new Set<{ pattern: RegExp; handle: (line: string) => boolean; done: () => void }>();
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!/ \[(INFO|DEBUG|TRACE)\] /.test(text)) process.stderr.write(`${text}\n`);
      for (const w of watchers) {
        if (w.pattern.test(text) && w.handle(text)) {
          watchers.delete(w);
          w.done();
        }
      }
    }
  });
  child.stderr!.on('end', () => {
    if (partial) process.stderr.write(`${partial}\n`);
  });
  // Stops the server (if it still runs) and removes what it made: on stop(), and when it fails to start
  // (a build whose native modules do not match `options.node` left its directory behind).
  const cleanUp = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    if (storage === 'postgresql') await dropTable(table);
  };

  /** Waits for the listener, then initializes and unseals a new store. */
  async function initialized(): Promise<BenchServer> {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /Listener: (http\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const api = apiOf(url);
    await api('GET', 'sys/health');
    const firstServedMs = performance.now() - startedAt;
    let token = '';
    const status = await api('GET', 'sys/init');
    if (!status.body.initialized) {
      const init = await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
      token = init.body.root_token;
      await api('PUT', 'sys/unseal', { key: init.body.keys[0] });
    }
    return {
      url,
      dir,
      storage,
      token,
      child,
      startedAt,
      firstServedMs,
      api,
      watchLog: (pattern, handle) =>
        new Promise<void>((done) => {
          watchers.add({ pattern, handle, done });
        }),
      stop: cleanUp,
    };
  }

  try {
    return await initialized();
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
