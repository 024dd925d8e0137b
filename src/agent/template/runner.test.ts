/** The template runner against an in-process fake server: new tokens, recovery from a missing key, commands. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiResponse, RequestOptions } from '../../client/client.js';
import { createLogger } from '../../framework/log.js';
import type { TokenSource } from '../token-source.js';
import { parseTemplateStanzas } from './config.js';
import { runTemplates } from './runner.js';

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not within 5 s`);
}

const read = (path: string) => readFile(path, 'utf8').catch(() => '');

describe('runTemplates', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-runner-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  function harness(data: () => Record<string, unknown>) {
    const tokensSeen: (string | null | undefined)[] = [];
    const client = {
      request: async (request: RequestOptions): Promise<ApiResponse> => {
        tokensSeen.push(request.token);
        if (request.path === 'kv/app') return { status: 200, body: { data: data() }, headers: {} };
        return { status: 404, body: { errors: [] }, headers: {} };
      },
    };
    const listeners = new Set<(token: string) => void>();
    let token = 'first';
    const tokens: TokenSource = {
      current: () => token,
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const publish = (next: string) => {
      token = next;
      for (const listener of listeners) listener(next);
    };
    let logText = '';
    const log = createLogger('debug', 'agent', (line) => {
      logText += line;
      return true;
    });
    return { client, tokens, publish, tokensSeen, log, logText: () => logText };
  }

  test('a new token from auto-auth fetches every secret again with it', async () => {
    const h = harness(() => ({ v: 'x' }));
    const controller = new AbortController();
    const destination = join(dir, 'token');
    const done = runTemplates(
      parseTemplateStanzas({
        template: [{ contents: '{{ with secret "kv/app" }}{{ .Data.v }}{{ end }}', destination }],
      }),
      { ...h, signal: controller.signal },
    );
    await until(async () => (await read(destination)) === 'x', 'first render');
    h.publish('second');
    await until(async () => h.tokensSeen.includes('second'), 'fetch with the new token');
    controller.abort();
    await done;
    assert.deepEqual([...new Set(h.tokensSeen)], ['first', 'second']);
  });

  test('without exit_on_retry_failure a missing key is logged, the file kept, and the render retried', async () => {
    let value: Record<string, unknown> = { password: 'CANARY_one' };
    const h = harness(() => value);
    const controller = new AbortController();
    const destination = join(dir, 'retry');
    const marker = join(dir, 'retry-commands');
    const done = runTemplates(
      parseTemplateStanzas({
        template_config: [{ static_secret_render_interval: '200ms' }],
        template: [
          {
            contents: '{{ with secret "kv/app" }}{{ .Data.password }}{{ end }}',
            destination,
            error_on_missing_key: true,
            command: `echo run >> ${marker}`,
          },
          // The same command for a second file: run once per round, as consul-template does.
          {
            contents: '{{ with secret "kv/app" }}{{ .Data }}{{ end }}',
            destination: `${destination}-2`,
            command: `echo run >> ${marker}`,
          },
        ],
      }),
      { ...h, signal: controller.signal },
    );
    await until(async () => (await read(destination)) === 'CANARY_one', 'first render');
    await until(async () => (await read(marker)) === 'run\n', 'one command for two files');
    value = { other: 'CANARY_two' };
    await until(async () => /rendering template\[0\] failed/.test(h.logText()), 'the error is logged');
    assert.equal(await read(destination), 'CANARY_one');
    value = { password: 'CANARY_three' };
    await until(async () => (await read(destination)) === 'CANARY_three', 'recovered');
    controller.abort();
    await done;
    assert.doesNotMatch(h.logText(), /CANARY_/);
  });

  test('a file that cannot be written is logged and retried; the agent keeps running and the other files render', async () => {
    const h = harness(() => ({ v: 'x' }));
    const controller = new AbortController();
    const missing = join(dir, 'not-yet');
    const destination = join(missing, 'out');
    const other = join(dir, 'other');
    const contents = '{{ with secret "kv/app" }}{{ .Data.v }}{{ end }}';
    const done = runTemplates(
      parseTemplateStanzas({
        template: [
          { contents, destination, create_dest_dirs: false },
          { contents, destination: other },
        ],
      }),
      { ...h, signal: controller.signal },
    );
    let ended = false;
    done.then(
      () => (ended = true),
      () => (ended = true),
    );
    await until(async () => (await read(other)) === 'x', 'the other file');
    await until(async () => /writing .*not-yet\/out failed/.test(h.logText()), 'the error is logged');
    assert.equal(ended, false, 'the template task goes on');
    await mkdir(missing);
    await until(async () => (await read(destination)) === 'x', 'written once it can be');
    controller.abort();
    await done;
  });
});
