/** Starts a real Coffer server process for end-to-end tests (port 0, optional storage), and drives it over HTTP. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noteExchange, registerCanary, snapshotLogsUnder, watchOutput } from './canary.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/coffer.js');

export interface ApiResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON bodies
  body: any;
  text: string;
  headers: Headers;
}

export interface TestServerOptions {
  storage?: 'inmem' | 'sqlite' | 'postgresql';
  /** Extra storage block attributes, e.g. `{ path }` for sqlite to reuse a file across restarts. */
  storageOptions?: Record<string, string>;
  dev?: boolean;
  /** Leave the server uninitialised (for init/unseal tests). */
  uninitialized?: boolean;
  extraConfig?: string;
  /** Extra attributes of the tcp listener block, e.g. `{ http_read_header_timeout: '1s' }`. */
  listenerOptions?: Record<string, string>;
  env?: Record<string, string>;
  /** Runs the server under this umask (through `sh -c 'umask …; exec node …'`), e.g. 0 for file-mode tests. */
  umask?: number;
  /**
   * Runs the server under `prlimit --fsize=<bytes>:unlimited`: a write that would grow a file past it
   * fails with EFBIG. Only the soft limit is set, so a test can lift it (`prlimit --pid`) to free space.
   */
  fileSizeLimit?: number;
  /**
   * Enables a file audit device (`sys/audit/k1-sweep`, `k1-sweep-audit.log` in the server's
   * directory) once the server is unsealed, so that the K1 canary sweep (helpers/canary.ts) searches
   * an audit log of everything the test does. On by default for an initialized inmem, sqlite or dev
   * server without a file size limit; tests that need to be the only audit device turn it off.
   */
  audit?: boolean;
  /**
   * Joins storage another server initialised (an HA node on the same PostgreSQL table): no init, unsealed
   * with these keys, which `rootToken` and `unsealKeys` then give.
   */
  join?: Pick<TestServer, 'rootToken' | 'unsealKeys'>;
}

export interface TestServer {
  address: string;
  rootToken: string;
  unsealKeys: string[];
  dir: string;
  process: ChildProcess;
  output: () => string;
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<ApiResult>;
  unseal(): Promise<void>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export async function api(
  address: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<ApiResult> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: {
      ...(token ? { 'X-Vault-Token': token } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  noteExchange({
    method,
    path,
    token,
    headers,
    requestBody: body,
    status: response.status,
    responseBody: parsed,
    responseText: text,
  });
  return { status: response.status, body: parsed, text, headers: response.headers };
}

function configText(options: TestServerOptions, dir: string): string {
  const storage = options.storage ?? 'sqlite';
  const attributes = {
    ...(storage === 'sqlite' ? { path: join(dir, 'coffer.db') } : {}),
    ...options.storageOptions,
  };
  const body = Object.entries(attributes)
    .map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)
    .join('\n');
  const listener = Object.entries(options.listenerOptions ?? {})
    .map(([k, v]) => `  ${k} = ${JSON.stringify(v)}\n`)
    .join('');
  // log_level info, the default: the K1 canary sweep reads what an operator's log would show.
  return `storage "${storage}" {\n${body}\n}\n\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n${listener}}\n\nlog_level = "info"\n${options.extraConfig ?? ''}\n`;
}

export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  umask?: number,
  fileSizeLimit?: number,
) {
  // prlimit and the shell both exec: the server keeps their pid, so signals are the server's own.
  const argv = [
    ...(fileSizeLimit === undefined ? [] : ['prlimit', `--fsize=${fileSizeLimit}:unlimited`, '--']),
    process.execPath,
    BIN,
    'server',
    ...args,
  ];
  const [command, commandArgs] =
    umask === undefined
      ? [argv[0], argv.slice(1)]
      : ['/bin/sh', ['-c', `umask ${umask.toString(8).padStart(3, '0')}; exec "$0" "$@"`, ...argv]];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
    if (process.env.DEBUG_SERVER) process.stderr.write(chunk);
  });
  const dev = args.includes('-dev');
  // Dev mode's banner shows its unseal key and root token, as Vault's does: the sweep skips those two lines.
  const banner = /^(Unseal Key|Root Token): (\S+)$/gm;
  watchOutput(`server ${args.join(' ')} (pid ${child.pid})`, () =>
    dev ? output.replace(/^Unseal Key: \S+$/m, '').replace(/^Root Token: \S+$/m, '') : output,
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const check = () => {
      const match = /Listener: (http\S+)/.exec(output) ?? /VAULT_ADDR='(http[^']+)'/.exec(output);
      if (match && (!args.includes('-dev') || /Root Token: /.test(output))) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  if (dev)
    for (const [, what, value] of output.matchAll(banner)) registerCanary(value, `dev ${what.toLowerCase()}`);
  return { child, address, output: () => output };
}

type Started = Awaited<ReturnType<typeof spawnServer>>;

function wrapProcess(
  started: Started,
  dir: string,
  keys: { rootToken: string; unsealKeys: string[] },
): TestServer {
  const server: TestServer = {
    address: started.address,
    get rootToken() {
      return keys.rootToken;
    },
    get unsealKeys() {
      return keys.unsealKeys;
    },
    dir,
    process: started.child,
    output: started.output,
    api: (method, path, body, token, headers) => api(started.address, method, path, body, token, headers),
    async unseal() {
      for (const key of keys.unsealKeys) {
        const res = await server.api('PUT', 'sys/unseal', { key });
        if (res.body?.sealed === false) return;
      }
    },
    async stop() {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        const exited = new Promise((resolve) => started.child.once('exit', resolve));
        started.child.kill('SIGTERM');
        await exited;
      }
    },
    async kill9() {
      const exited = new Promise((resolve) => started.child.once('exit', resolve));
      started.child.kill('SIGKILL');
      await exited;
    },
  };
  return server;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-e2e-'));
  const connectionUrl = options.storageOptions?.connection_url;
  if (connectionUrl && URL.canParse(connectionUrl)) {
    registerCanary(decodeURIComponent(new URL(connectionUrl).password), 'storage password');
  }
  const keys = { rootToken: options.join?.rootToken ?? '', unsealKeys: options.join?.unsealKeys ?? [] };
  let started: Started;
  if (options.dev) {
    // Dev mode stores the root token in the token helper file, as Vault does: keep it in the test dir.
    const env = { COFFER_TOKEN_PATH: join(dir, 'vault-token'), ...options.env };
    started = await spawnServer(['-dev', '-dev-listen-address=127.0.0.1:0'], env, options.umask);
    keys.rootToken = /Root Token: (\S+)/.exec(started.output())![1];
  } else {
    const configFile = join(dir, 'coffer.hcl');
    await writeFile(configFile, configText(options, dir));
    started = await spawnServer([`-config=${configFile}`], options.env, options.umask, options.fileSizeLimit);
  }
  const server = wrapProcess(started, dir, keys);
  if (options.join) await server.unseal();
  else if (!options.dev && !options.uninitialized) {
    const init = await server.api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
    if (init.status !== 200) throw new Error(`init failed: ${init.text}`);
    keys.rootToken = init.body.root_token;
    keys.unsealKeys = init.body.keys;
    await server.unseal();
  }
  const storage = options.dev ? 'inmem' : (options.storage ?? 'sqlite');
  const audit =
    options.audit ??
    (!options.uninitialized && options.fileSizeLimit === undefined && storage !== 'postgresql');
  if (audit) await enableSweepAudit(server, keys.rootToken);
  return server;
}

/** The file audit device of `TestServerOptions.audit`, for a server a test initializes itself. */
export async function enableSweepAudit(server: TestServer, rootToken: string): Promise<void> {
  const enable = await server.api(
    'PUT',
    'sys/audit/k1-sweep',
    { type: 'file', options: { file_path: join(server.dir, 'k1-sweep-audit.log') } },
    rootToken,
  );
  if (enable.status !== 204) throw new Error(`enabling the sweep's audit device failed: ${enable.text}`);
}

/** Starts a new process on the same sqlite data directory (after stop or kill -9); it comes up sealed. */
export async function restartOnSameStorage(
  previous: Pick<TestServer, 'dir' | 'rootToken' | 'unsealKeys'>,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const configFile = join(previous.dir, 'coffer.hcl');
  await writeFile(configFile, configText({ ...options, storage: 'sqlite' }, previous.dir));
  const started = await spawnServer(
    [`-config=${configFile}`],
    options.env,
    options.umask,
    options.fileSizeLimit,
  );
  return wrapProcess(started, previous.dir, {
    rootToken: previous.rootToken,
    unsealKeys: previous.unsealKeys,
  });
}

/** Removes a test server's data directory once every process on it has stopped. */
export async function removeServerDir(server: TestServer): Promise<void> {
  await snapshotLogsUnder(server.dir); // for the K1 canary sweep at exit (helpers/canary.ts)
  await rm(server.dir, { recursive: true, force: true });
}
