/** Exec mode's supervisor, without a server: env templates that read no secret. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../framework/log.js';
import { staticTokenSource } from '../token-source.js';
import { parseExecStanzas } from './config.js';
import { runExec } from './supervisor.js';

test('a command that cannot start ends exec mode with 127 and says why, without the environment', async () => {
  let logText = '';
  const log = createLogger('debug', 'agent', (line) => {
    logText += line;
    return true;
  });
  const config = parseExecStanzas({
    env_template: { SECRET: [{ contents: 'CANARY_value' }] },
    exec: [{ command: ['/nonexistent/coffer-test-command'] }],
  });
  const code = await runExec(config!, {
    client: { request: async () => assert.fail('no secret is read') },
    tokens: staticTokenSource('t'),
    log,
    signal: new AbortController().signal,
  });
  assert.equal(code, 127);
  assert.match(logText, /could not start.*ENOENT/);
  assert.doesNotMatch(logText, /CANARY_/);
});
