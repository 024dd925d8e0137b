import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../framework/log.js';
import type { AgentConfig } from './config.js';
import { type AgentTaskContext, clientOptions, runAgent } from './run.js';
import { DEFAULT_TEMPLATE_CONFIG } from './template/config.js';

/** No auto-auth and no listener: only the plugged-in tasks run. */
const config: AgentConfig = {
  vault: { address: 'http://127.0.0.1:1', tlsSkipVerify: false, numRetries: 0 },
  listeners: [],
  useAutoAuthToken: false,
  exitAfterAuth: false,
  logLevel: 'info',
  rawTemplateStanzas: { template: [{ contents: 'x' }] },
  // Parsed as empty so that only the plugged-in tasks run.
  templates: { templates: [], templateConfig: DEFAULT_TEMPLATE_CONFIG },
};

test('a task gets the config with its raw template blocks, a client, the tokens and the signal', async () => {
  let seen: AgentTaskContext | undefined;
  const agent = await runAgent(config, {
    log: silentLogger,
    extraTasks: [
      async (context) => {
        seen = context;
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      },
    ],
  });
  agent.stop();
  assert.equal(await agent.done, 0);
  assert.deepEqual(seen?.config.rawTemplateStanzas, { template: [{ contents: 'x' }] });
  assert.equal(seen?.tokens.current(), undefined);
  const client = seen!.client();
  assert.equal(client.address, 'http://127.0.0.1:1');
  client.close();
  assert.equal(seen?.signal.aborted, true);
});

test('a task that resolves with an exit code stops the agent with it, and the others are stopped', async () => {
  let otherStopped = false;
  const agent = await runAgent(config, {
    log: silentLogger,
    extraTasks: [
      async () => ({ exitCode: 3 }),
      async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        otherStopped = true;
      },
    ],
  });
  assert.equal(await agent.done, 3);
  assert.equal(otherStopped, true);
});

test('a task that fails stops the agent with exit code 1', async () => {
  const agent = await runAgent(config, {
    log: silentLogger,
    extraTasks: [
      async () => {
        throw new Error('template failed');
      },
    ],
  });
  assert.equal(await agent.done, 1);
});

test('the vault block wins over VAULT_ADDR and friends; VAULT_AGENT_ADDR is never the server', () => {
  const env = {
    VAULT_ADDR: 'https://coffer.internal:8200',
    VAULT_AGENT_ADDR: 'http://127.0.0.1:8100',
    VAULT_CACERT: '/etc/ca.pem',
    VAULT_SKIP_VERIFY: 'true',
  };
  const fromEnv = clientOptions({ ...config, vault: { tlsSkipVerify: false, numRetries: 0 } }, env);
  assert.deepEqual(
    [fromEnv.address, fromEnv.caCert, fromEnv.tlsSkipVerify],
    ['https://coffer.internal:8200', '/etc/ca.pem', true],
  );
  assert.equal(clientOptions(config, env).address, 'http://127.0.0.1:1');
  assert.equal(
    clientOptions({ ...config, vault: { tlsSkipVerify: false, numRetries: 0 } }, {}).address,
    'https://127.0.0.1:8200',
  );
});
