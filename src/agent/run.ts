/**
 * Runs the agent: the API proxy listeners, auto-auth, and whatever other tasks are plugged in
 * (templates, exec), all sharing one TokenSource, one logger and one AbortSignal.
 */
import { rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { VaultClient, type VaultClientOptions } from '../client/client.js';
import { DEFAULT_ADDRESS, envValue, parseGoBool } from '../client/env.js';
import { createAgent } from '../client/transport.js';
import type { Logger } from '../framework/log.js';
import { runAutoAuth } from './auto-auth.js';
import type { AgentConfig } from './config.js';
import { describeFailure } from './failure.js';
import { type RunningListener, startListener } from './listener.js';
import { createProxyHandler, type ProxyUpstream } from './proxy.js';
import { renderTasks } from './render-tasks.js';
import type { TokenSource } from './token-source.js';
import { AutoAuthTokens } from './token-store.js';

/** What a plugged-in task (template rendering, exec supervision) is handed. */
export interface AgentTaskContext {
  /** The whole parsed config; `rawTemplateStanzas` holds the template, template_config, env_template and exec blocks. */
  config: AgentConfig;
  /**
   * A new client for the server carrying the current auto-auth token, retrying `vault.retry.num_retries`
   * times unless `maxRetries` says otherwise (0 for a caller that retries by itself); close it when done.
   */
  client: (overrides?: { maxRetries?: number }) => VaultClient;
  tokens: TokenSource;
  log: Logger;
  /** Aborts when the agent shuts down; a task should then settle promptly. */
  signal: AbortSignal;
  /** Resolves once auto-auth has published its first token and written every sink (never without auto_auth). */
  authenticated: Promise<void>;
}

/** A task that resolves with an exit code stops the agent with it (exec mode passes on its child's). */
export interface AgentTaskResult {
  exitCode: number;
}

/**
 * A task runs alongside auto-auth. Rejecting stops the agent with exit code 1 (its message is logged,
 * so it must hold no secret); resolving with `{ exitCode }` stops it with that code; resolving with
 * nothing just ends the task. With `exit_after_auth`, the agent exits 0 once auto-auth has succeeded
 * and every task has resolved.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: void lets a plain `async () => {}` task type-check, which undefined would not
export type AgentTask = (context: AgentTaskContext) => Promise<void | AgentTaskResult>;

export interface RunAgentOptions {
  log: Logger;
  extraTasks?: AgentTask[];
  /** Where VAULT_ADDR is read when the vault block names no address. */
  env?: Record<string, string | undefined>;
  /** Called with each listener's address once it listens. */
  onListening?: (address: string) => void;
}

export interface RunningAgent {
  tokens: TokenSource;
  listeners: string[];
  /** Resolves with the exit code once the agent has stopped. */
  done: Promise<number>;
  /** Stops everything; `done` then resolves with 0 unless something had already failed. */
  stop(): void;
}

/**
 * The vault block, completed from the environment as Vault's agent does (api.DefaultConfig reads
 * VAULT_ADDR, VAULT_CACERT, …); the block wins. VAULT_AGENT_ADDR is not read: it names an agent,
 * maybe this one. VAULT_TOKEN is not read either: the agent's token comes from auto-auth.
 */
export function clientOptions(
  config: AgentConfig,
  env: Record<string, string | undefined>,
): VaultClientOptions {
  const { vault } = config;
  const skipVerify = envValue(env, 'SKIP_VERIFY');
  return {
    address: vault.address ?? envValue(env, 'ADDR') ?? DEFAULT_ADDRESS,
    caCert: vault.caCert ?? envValue(env, 'CACERT'),
    caPath: vault.caPath ?? envValue(env, 'CAPATH'),
    clientCert: vault.clientCert ?? envValue(env, 'CLIENT_CERT'),
    clientKey: vault.clientKey ?? envValue(env, 'CLIENT_KEY'),
    tlsServerName: vault.tlsServerName ?? envValue(env, 'TLS_SERVER_NAME'),
    tlsSkipVerify: vault.tlsSkipVerify || (skipVerify !== undefined && parseGoBool(skipVerify) === true),
  };
}

/** The server as the proxy reaches it: one keep-alive agent per scheme, with the vault block's TLS. */
function proxyUpstream(base: VaultClientOptions, numRetries: number): ProxyUpstream & { destroy(): void } {
  const agents = new Map<boolean, http.Agent>();
  return {
    address: base.address,
    numRetries,
    agent(secure) {
      const existing = agents.get(secure);
      if (existing) return existing;
      const created = createAgent(secure, base);
      agents.set(secure, created);
      return created;
    },
    destroy() {
      for (const agent of agents.values()) agent.destroy();
    },
  };
}

/** Every listener of the config, or none: one that fails to start closes those already open. */
async function startListeners(
  config: AgentConfig,
  deps: RunAgentOptions & { tokens: TokenSource; upstream: ProxyUpstream },
): Promise<RunningListener[]> {
  const listeners: RunningListener[] = [];
  try {
    for (const listener of config.listeners) {
      const handler = createProxyHandler({
        upstream: deps.upstream,
        tokens: deps.tokens,
        useAutoAuthToken: config.useAutoAuthToken,
        requireRequestHeader: listener.requireRequestHeader,
        maxRequestBytes: listener.maxRequestBytes,
        log: deps.log.child('proxy'),
      });
      const running = await startListener(listener, handler);
      listeners.push(running);
      deps.onListening?.(running.address);
    }
    if (config.pidFile) await writeFile(config.pidFile, `${process.pid}`, { mode: 0o600 });
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close()));
    throw error;
  }
  return listeners;
}

/** Runs every task; settles when all have, each outcome reported through `exit` or `fail`. */
function startTasks(
  tasks: { name: string; task: AgentTask }[],
  context: AgentTaskContext,
  outcome: { exit: (code: number) => void; fail: (name: string, error: unknown) => void },
): Promise<unknown> {
  return Promise.all(
    tasks.map(({ name, task }) =>
      task({ ...context, log: context.log.child(name) }).then(
        (result) => result && outcome.exit(result.exitCode),
        (error) => outcome.fail(name, error),
      ),
    ),
  );
}

export async function runAgent(config: AgentConfig, options: RunAgentOptions): Promise<RunningAgent> {
  const { log } = options;
  const controller = new AbortController();
  const { signal } = controller;
  const tokens = new AutoAuthTokens();
  const base = clientOptions(config, options.env ?? {});
  // Auto-auth retries through its own backoff, so its client makes one attempt per login (J2).
  const authClient = () => new VaultClient({ ...base, maxRetries: 0 });
  const taskClient = (overrides: { maxRetries?: number } = {}) =>
    new VaultClient({
      ...base,
      token: tokens.current(),
      maxRetries: overrides.maxRetries ?? config.vault.numRetries,
    });

  const upstream = proxyUpstream(base, config.vault.numRetries);
  const listeners = await startListeners(config, { ...options, tokens, upstream });

  let exitCode = 0;
  const fail = (what: string, error: unknown) => {
    log.error(`${what} failed`, { error: describeFailure(error) });
    exitCode = 1;
    controller.abort();
  };
  let authenticated!: () => void;
  const firstAuth = new Promise<void>((resolve) => {
    authenticated = resolve;
  });
  const context: AgentTaskContext = {
    config,
    client: taskClient,
    tokens,
    log,
    signal,
    authenticated: firstAuth,
  };
  const authDone = config.autoAuth
    ? runAutoAuth({
        config: config.autoAuth,
        client: authClient,
        tokens,
        log: log.child('auth'),
        signal,
        onFirstAuth: authenticated,
      }).catch((error) => fail('auto-auth', error))
    : Promise.resolve();
  const tasks = [
    ...renderTasks(config),
    ...(options.extraTasks ?? []).map((task, i) => ({ name: `task${i}`, task })),
  ];
  const tasksDone = startTasks(tasks, context, {
    exit: (code) => {
      // A failure elsewhere keeps its 1; otherwise the task's code (exec mode: its child's) is the agent's.
      if (exitCode === 0) exitCode = code;
      controller.abort();
    },
    fail: (name, error) => fail(name, error),
  });
  if (config.exitAfterAuth) {
    void Promise.all([firstAuth, tasksDone]).then(() => {
      log.info('exit_after_auth is set: exiting after authentication');
      controller.abort();
    });
  }

  const done = (async () => {
    if (!signal.aborted)
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.all([authDone, tasksDone]);
    await Promise.all(listeners.map((l) => l.close()));
    upstream.destroy();
    if (config.pidFile) await rm(config.pidFile, { force: true });
    return exitCode;
  })();
  return { tokens, listeners: listeners.map((l) => l.address), done, stop: () => controller.abort() };
}
