/**
 * The agent's template task: renders every `template` block to its file, again whenever a secret it
 * reads changes, and runs the block's command after a change. Resolves when `signal` aborts; rejects
 * (the agent then exits non-zero) on a failure with `exit_on_retry_failure`, leaving the files as they were.
 */
import { readFile } from 'node:fs/promises';
import type { VaultClient } from '../../client/client.js';
import type { Logger } from '../../framework/log.js';
import type { TokenSource } from '../token-source.js';
import { runCommand } from './command.js';
import type { TemplateEngineConfig, TemplateStanza, TemplateStanzas } from './config.js';
import { writeOutput } from './file-output.js';
import { type CompiledTemplate, compileTemplate } from './render.js';
import { type RenderResult, renderRound } from './render-round.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { SecretStore } from './secret-store.js';

export interface TemplateTaskOptions {
  /** Only `request` is used: each call carries the token source's current token. */
  client: Pick<VaultClient, 'request'>;
  tokens: TokenSource;
  log: Logger;
  signal: AbortSignal;
  /** From the agent's `vault { retry { num_retries } }`; Vault's default is 12 retries. */
  retry?: RetryPolicy;
  /** What `env` reads; the agent's own environment by default. */
  env?: NodeJS.ProcessEnv;
  /** Resolve after the first round that renders every template (`exit_after_auth`). */
  once?: boolean;
}

/** What compiling needs of a `template` or an `env_template` block. */
export type TemplateSource = Pick<
  TemplateStanza,
  'name' | 'source' | 'contents' | 'errorOnMissingKey' | 'leftDelimiter' | 'rightDelimiter'
>;

export async function compileStanza(stanza: TemplateSource): Promise<CompiledTemplate> {
  const source = stanza.source === undefined ? stanza.contents! : await readSource(stanza);
  return compileTemplate(stanza.source ?? stanza.name, source, {
    errorOnMissingKey: stanza.errorOnMissingKey,
    delims: { left: stanza.leftDelimiter, right: stanza.rightDelimiter },
  });
}

async function readSource(stanza: TemplateSource): Promise<string> {
  try {
    return await readFile(stanza.source!, 'utf8');
  } catch (error) {
    throw new Error(
      `${stanza.name}: source: cannot read the file (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/**
 * Re-runs `round` whenever `trigger` is called, serially, until the signal aborts or `fail` is called.
 * Shared by the file templates and exec mode's env templates.
 */
export class RenderLoop {
  private dirty = true;
  private wake: () => void = () => {};
  private fatal: Error | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly signal: AbortSignal,
    private readonly maxRetryDelayMs: number,
  ) {}

  trigger = (): void => {
    this.dirty = true;
    this.wake();
  };

  fail = (error: Error): void => {
    this.fatal ??= error;
    this.wake();
  };

  /** Runs `round` again after a growing delay (a render error that may clear up). */
  retryLater(): void {
    const delay = Math.min(this.maxRetryDelayMs, 250 * 2 ** this.failures++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(this.trigger, delay);
  }

  succeeded(): void {
    this.failures = 0;
  }

  async run(round: () => Promise<void>, quiet?: { minMs: number; maxMs: number }): Promise<void> {
    try {
      while (!this.signal.aborted) {
        if (!this.dirty && !this.fatal) await this.sleep();
        if (this.fatal) throw this.fatal;
        if (this.signal.aborted) return;
        if (quiet && quiet.minMs > 0) await this.quiesce(quiet);
        this.dirty = false;
        await round();
      }
    } finally {
      clearTimeout(this.retryTimer);
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** `wait { min max }`: let changes settle for `min`, but render no later than `max` after the first. */
  private async quiesce({ minMs, maxMs }: { minMs: number; maxMs: number }): Promise<void> {
    const deadline = Date.now() + maxMs;
    do {
      this.dirty = false;
      const timer = setTimeout(() => this.wake(), Math.min(minMs, deadline - Date.now()));
      await this.sleep();
      clearTimeout(timer);
    } while (this.dirty && Date.now() < deadline && !this.signal.aborted && !this.fatal);
  }
}

function settleWait(stanzas: readonly TemplateStanza[]): { minMs: number; maxMs: number } | undefined {
  const waits = stanzas.flatMap((s) => (s.wait ? [s.wait] : []));
  if (waits.length === 0) return undefined;
  return { minMs: Math.max(...waits.map((w) => w.minMs)), maxMs: Math.max(...waits.map((w) => w.maxMs)) };
}

export function createStore(config: TemplateEngineConfig, options: TemplateTaskOptions, loop: RenderLoop) {
  return new SecretStore({
    client: options.client,
    tokens: options.tokens,
    log: options.log,
    signal: options.signal,
    staticIntervalMs: config.staticSecretRenderIntervalMs,
    leaseRenewalThreshold: config.leaseRenewalThreshold,
    retry: options.retry ?? DEFAULT_RETRY,
    onChange: loop.trigger,
    onError: (error) => {
      options.log.error('refreshing a secret failed after all retries', { error: error.message });
      if (config.exitOnRetryFailure) loop.fail(error);
    },
  });
}

/** Runs the `template` blocks until `options.signal` aborts. See the module comment for failures. */
export async function runTemplates(
  config: TemplateStanzas,
  outerOptions: TemplateTaskOptions,
): Promise<void> {
  const engine = config.templateConfig;
  const compiled = await Promise.all(config.templates.map(compileStanza));
  // The loop also ends after the first complete round with `once`.
  const finished = new AbortController();
  const stopOnAbort = () => finished.abort();
  outerOptions.signal.addEventListener('abort', stopOnAbort, { once: true });
  if (outerOptions.signal.aborted) finished.abort();
  const options = { ...outerOptions, signal: finished.signal };
  const { log, signal } = options;
  const loop = new RenderLoop(signal, engine.staticSecretRenderIntervalMs);
  const store = createStore(engine, options, loop);
  // A new token may not see the old one's leases: fetch everything again, as Vault Agent does.
  const unsubscribe = options.tokens.subscribe(() => {
    store.clear();
    loop.trigger();
  });
  const round = async () => {
    let results: Awaited<ReturnType<typeof renderRound>>;
    try {
      results = await renderRound(compiled, store, options.env);
    } catch (error) {
      if (signal.aborted) return;
      log.error('fetching the secrets of the templates failed after all retries', {
        error: (error as Error).message,
      });
      if (engine.exitOnRetryFailure) throw error;
      loop.retryLater();
      return;
    }
    let failed = false;
    const changed: TemplateStanza[] = [];
    for (const [i, result] of results.entries()) {
      const outcome = await settle(config.templates[i], result, log);
      if (outcome instanceof Error) {
        failed = true;
        if (engine.exitOnRetryFailure) throw outcome;
      } else if (outcome) changed.push(config.templates[i]);
    }
    await runCommands(changed, options);
    if (failed) loop.retryLater();
    else {
      loop.succeeded();
      if (options.once) finished.abort();
    }
  };
  try {
    await loop.run(round, settleWait(config.templates));
  } finally {
    unsubscribe();
    store.clear();
    outerOptions.signal.removeEventListener('abort', stopOnAbort);
  }
}

/**
 * Writes one template's result; whether the file changed, or the error (logged by template, line and
 * key or by file, never with a value). A failed render or write leaves the file as it was; the round is
 * retried, as Vault restarts its template runner, and only exit_on_retry_failure ends the agent.
 */
async function settle(stanza: TemplateStanza, result: RenderResult, log: Logger): Promise<boolean | Error> {
  if (!result.ok) {
    log.error(`rendering ${stanza.name} failed; ${stanza.destination} is left as it was`, {
      error: result.error.message,
    });
    return result.error;
  }
  try {
    const written = await writeOutput(stanza, result.text);
    if (written) log.info(`rendered ${stanza.destination}`);
    return written;
  } catch (error) {
    // A full disk or a missing directory.
    log.error(`writing ${stanza.destination} failed; it is left as it was`, {
      error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
    });
    return error as Error;
  }
}

/** Runs the commands of the templates that changed, after all were written; the same command once, as consul-template does. */
async function runCommands(changed: readonly TemplateStanza[], options: TemplateTaskOptions): Promise<void> {
  const { log } = options;
  const seen = new Set<string>();
  for (const stanza of changed) {
    if (!stanza.command) continue;
    const key = JSON.stringify(stanza.command);
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const result = await runCommand(stanza.command, stanza.commandTimeoutMs, options.signal);
      if (result.timedOut) log.error(`the command of ${stanza.name} timed out`);
      else if (result.code !== 0) {
        log.error(`the command of ${stanza.name} failed`, { code: result.code, signal: result.signal });
      }
    } catch (error) {
      log.error(`the command of ${stanza.name} failed`, { error: (error as Error).message });
    }
  }
}
