/**
 * The agent's built-in tasks: the `template` blocks and exec mode, run by `runAgent` next to auto-auth
 * with its token source, its abort signal and a client that makes one attempt per request (the
 * template runner retries by itself, `vault { retry { num_retries } }` times).
 */

import type { AgentConfig } from './config.js';
import { runExec } from './exec/supervisor.js';
import type { AgentTask, AgentTaskContext } from './run.js';
import { DEFAULT_RETRY, type RetryPolicy } from './template/retry.js';
import { runTemplates } from './template/runner.js';

function retryPolicy(config: AgentConfig): RetryPolicy {
  return { ...DEFAULT_RETRY, retries: config.vault.numRetries };
}

function taskOptions(context: AgentTaskContext) {
  return {
    client: context.client({ maxRetries: 0 }),
    tokens: context.tokens,
    log: context.log,
    signal: context.signal,
    retry: retryPolicy(context.config),
  };
}

/** The tasks a config asks for: templates, or exec mode (Vault refuses both together). */
export function renderTasks(config: AgentConfig): { name: string; task: AgentTask }[] {
  const tasks: { name: string; task: AgentTask }[] = [];
  const templates = config.templates;
  if (templates.templates.length > 0) {
    tasks.push({
      name: 'template',
      task: async (context) => {
        const options = taskOptions(context);
        try {
          // exit_after_auth: render every template once, then end, as Vault's template server does.
          await runTemplates(templates, { ...options, once: context.config.exitAfterAuth });
        } finally {
          options.client.close();
        }
      },
    });
  }
  const exec = config.exec;
  if (exec) {
    tasks.push({
      name: 'exec',
      task: async (context) => {
        const options = taskOptions(context);
        try {
          const exitCode = await runExec(exec, options);
          // A child that ended on its own passes its code on; one stopped because the agent is
          // shutting down does not, and the agent exits 0 as Vault's does.
          return context.signal.aborted ? undefined : { exitCode };
        } finally {
          options.client.close();
        }
      },
    });
  }
  return tasks;
}
