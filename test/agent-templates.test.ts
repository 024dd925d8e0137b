/**
 * The agent's template runner and exec mode end to end (SECURITY.md J3, J4): a real Coffer server, the
 * runner in this process with a static token, files on disk, a PostgreSQL credential whose lease is
 * renewed, and supervised children. The agent's log is watched by the K1 canary sweep.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseExecStanzas } from '../src/agent/exec/config.js';
import { runExec } from '../src/agent/exec/supervisor.js';
import { parseTemplateStanzas } from '../src/agent/template/config.js';
import { runTemplates } from '../src/agent/template/runner.js';
import { staticTokenSource } from '../src/agent/token-source.js';
import { VaultClient } from '../src/client/client.js';
import { createLogger } from '../src/framework/log.js';
import { registerCanary, watchOutput } from './helpers/canary.js';
import { eventually } from './helpers/eventually.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const FAST_RETRY = { retries: 2, baseMs: 50, maxMs: 200 };

function canary(label: string): string {
  const value = `CANARY_${label}_${Math.random().toString(16).slice(2, 12)}`;
  registerCanary(value, label);
  return value;
}

/** The agent's log, kept for assertions and for the canary sweep at exit. */
function agentLog() {
  let text = '';
  const log = createLogger('debug', 'agent', (line) => {
    text += line;
    return true;
  });
  watchOutput('agent log (templates)', () => text);
  return { log, text: () => text };
}

describe('agent templates (end to end)', () => {
  let server: TestServer;
  let client: VaultClient;
  let dir: string;
  const { log, text: logText } = agentLog();
  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await server.api('POST', path, body, server.rootToken);
    assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
    return res;
  };

  /** Starts the runner on an agent config (as the HCL parser returns it); stop() resolves its promise. */
  function start(raw: Record<string, unknown>) {
    const controller = new AbortController();
    const done = runTemplates(parseTemplateStanzas(raw), {
      client,
      tokens: staticTokenSource(server.rootToken),
      log,
      signal: controller.signal,
      retry: FAST_RETRY,
    });
    done.catch(() => {}); // observed by the test that expects a failure
    return {
      done,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
  }

  before(async () => {
    server = await startTestServer({ storage: 'sqlite' });
    client = new VaultClient({ address: server.address });
    dir = await mkdtemp(join(tmpdir(), 'coffer-agent-tpl-'));
    await write('sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (server) await removeServerDir(server);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('J3: KV v2 is rendered with its perms, re-rendered when it changes, and the command runs after each change', async () => {
    const first = canary('kv_first');
    const second = canary('kv_second');
    await write('secret/data/app', { data: { password: first, user: 'app' } });
    const destination = join(dir, 'nested', 'app.env');
    const marker = join(dir, 'reloads');
    const previousUmask = process.umask(0);
    const runner = start({
      template_config: [{ static_secret_render_interval: '1s' }],
      template: [
        {
          contents:
            '{{ with secret "secret/app" }}USER={{ .Data.data.user }}\nPASSWORD={{ .Data.data.password }}\n{{ end }}',
          destination,
          command: `echo reloaded >> ${marker}`,
        },
        {
          contents: '{{ with secret "secret/data/app" }}{{ .Data.metadata.version }}{{ end }}',
          destination: join(dir, 'version'),
          perms: '0640',
        },
      ],
    });
    try {
      await eventually(
        async () => (await readFile(destination, 'utf8').catch(() => '')).includes(first),
        10_000,
        'first render',
      );
      assert.equal(await readFile(destination, 'utf8'), `USER=app\nPASSWORD=${first}\n`);
      assert.equal(
        (await stat(destination)).mode & 0o777,
        0o600,
        'a secrets file is 0600 by default, whatever the umask',
      );
      assert.equal((await stat(join(dir, 'nested'))).mode & 0o777, 0o700);
      await eventually(
        async () => (await readFile(join(dir, 'version'), 'utf8').catch(() => '')) === '1',
        5000,
        'second file',
      );
      assert.equal((await stat(join(dir, 'version'))).mode & 0o777, 0o640);
      assert.equal(await readFile(join(dir, 'version'), 'utf8'), '1');
      await eventually(
        async () => (await readFile(marker, 'utf8').catch(() => '')) === 'reloaded\n',
        5000,
        'command after render',
      );

      // Two more intervals with no change: no rewrite, no command.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(await readFile(marker, 'utf8'), 'reloaded\n', 'an unchanged render runs no command');

      await write('secret/data/app', { data: { password: second, user: 'app' } });
      await eventually(
        async () => (await readFile(destination, 'utf8')).includes(second),
        10_000,
        're-render',
      );
      await eventually(
        async () => (await readFile(marker, 'utf8')) === 'reloaded\nreloaded\n',
        5000,
        'command after change',
      );
      await eventually(async () => (await readFile(join(dir, 'version'), 'utf8')) === '2', 5000, 'version 2');
    } finally {
      await runner.stop();
      process.umask(previousUmask);
    }
    assert.ok(!logText().includes(first) && !logText().includes(second));
  });

  test('J3: a missing key with error_on_missing_key and exit_on_retry_failure fails the runner and keeps the last good file', async () => {
    const good = canary('kv_good');
    await write('secret/data/strict', { data: { password: good } });
    const destination = join(dir, 'strict.env');
    const runner = start({
      template_config: [{ static_secret_render_interval: '1s', exit_on_retry_failure: true }],
      template: [
        {
          contents: 'PASSWORD={{ with secret "secret/strict" }}{{ .Data.data.password }}{{ end }}',
          destination,
          error_on_missing_key: true,
        },
      ],
    });
    await eventually(
      async () => (await readFile(destination, 'utf8').catch(() => '')).includes(good),
      10_000,
      'first render',
    );
    await write('secret/data/strict', { data: { other: canary('kv_other') } });
    await assert.rejects(runner.done, /map has no entry for key "password"/);
    assert.equal(await readFile(destination, 'utf8'), `PASSWORD=${good}`, 'the last good file is untouched');
    assert.match(logText(), /rendering template\[0\] failed/);
  });

  test('a template that cannot parse fails at once, naming the template and line', async () => {
    const runner = start({ template: [{ contents: 'a\n{{ if }}', destination: join(dir, 'bad') }] });
    await assert.rejects(runner.done, { message: 'template: template[0]:2: missing value for if' });
  });

  test('a secret that does not exist is retried, then fails with exit_on_retry_failure', async () => {
    const runner = start({
      template_config: [{ exit_on_retry_failure: true }],
      template: [
        { contents: '{{ with secret "secret/nothing-here" }}x{{ end }}', destination: join(dir, 'none') },
      ],
    });
    await assert.rejects(runner.done, /no secret exists at secret\/nothing-here/);
    await assert.rejects(stat(join(dir, 'none')), { code: 'ENOENT' });
  });

  describe('exec mode', () => {
    /** A child that records its pid and DB_PASSWORD, and records the stop signal before it exits. */
    const CHILD = `
      const { appendFileSync } = require('node:fs');
      const out = process.argv[1];
      appendFileSync(out, JSON.stringify({ pid: process.pid, password: process.env.DB_PASSWORD }) + '\\n');
      process.on('SIGTERM', () => { appendFileSync(out, JSON.stringify({ pid: process.pid, stopped: 'SIGTERM' }) + '\\n'); process.exit(0); });
      setInterval(() => {}, 1000);
    `;
    const lines = async (file: string) =>
      (await readFile(file, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { pid: number; password?: string; stopped?: string });

    function startExec(raw: Record<string, unknown>, pids: number[] = []) {
      const controller = new AbortController();
      const config = parseExecStanzas(raw);
      assert.ok(config);
      const done = runExec(config, {
        client,
        tokens: staticTokenSource(server.rootToken),
        log,
        signal: controller.signal,
        retry: FAST_RETRY,
        onStart: (pid) => pid && pids.push(pid),
      });
      done.catch(() => {});
      return {
        done,
        stop: () => {
          controller.abort();
          return done;
        },
      };
    }

    test('J4: the child sees the secret in its environment, not its argv, and is restarted with the new value', async () => {
      const first = canary('exec_first');
      const second = canary('exec_second');
      await write('secret/data/exec', { data: { password: first } });
      const out = join(dir, 'exec-child.jsonl');
      const pids: number[] = [];
      const runner = startExec(
        {
          template_config: [{ static_secret_render_interval: '1s' }],
          env_template: {
            DB_PASSWORD: [{ contents: '{{ with secret "secret/exec" }}{{ .Data.data.password }}{{ end }}' }],
          },
          exec: [{ command: [process.execPath, '-e', CHILD, out], restart_stop_signal: 'SIGTERM' }],
        },
        pids,
      );
      try {
        await eventually(async () => (await lines(out)).length === 1, 10_000, 'child started');
        const [started] = await lines(out);
        assert.equal(started.password, first);
        assert.equal(started.pid, pids[0]);
        const cmdline = await readFile(`/proc/${started.pid}/cmdline`, 'utf8');
        assert.ok(!cmdline.includes(first), "the secret is not in the child's argv");
        assert.ok((await readFile(`/proc/${started.pid}/environ`, 'utf8')).includes(`DB_PASSWORD=${first}`));

        await write('secret/data/exec', { data: { password: second } });
        await eventually(
          async () => (await lines(out)).some((l) => l.password === second),
          10_000,
          'restart',
        );
        const events = await lines(out);
        assert.deepEqual(
          events[1],
          { pid: started.pid, stopped: 'SIGTERM' },
          'the old child got the stop signal first',
        );
        assert.equal(events[2].password, second);
        assert.notEqual(events[2].pid, started.pid);
        assert.ok(!(await readFile(`/proc/${events[2].pid}/cmdline`, 'utf8')).includes(second));
      } finally {
        assert.equal(await runner.stop(), 0, 'a child stopped with the agent exits 0 here');
      }
      assert.ok(!logText().includes(first) && !logText().includes(second));
    });

    test('restart_on_secret_changes = "never" leaves the child running after a change', async () => {
      await write('secret/data/never', { data: { password: canary('never_first') } });
      const out = join(dir, 'exec-never.jsonl');
      const runner = startExec({
        template_config: [{ static_secret_render_interval: '500ms' }],
        env_template: {
          DB_PASSWORD: [{ contents: '{{ with secret "secret/never" }}{{ .Data.data.password }}{{ end }}' }],
        },
        exec: [{ command: [process.execPath, '-e', CHILD, out], restart_on_secret_changes: 'never' }],
      });
      try {
        await eventually(async () => (await lines(out)).length === 1, 10_000, 'child started');
        await write('secret/data/never', { data: { password: canary('never_second') } });
        await new Promise((resolve) => setTimeout(resolve, 2000));
        assert.equal((await lines(out)).length, 1, 'no stop, no restart');
      } finally {
        assert.equal(await runner.stop(), 0);
      }
    });

    test('J4: when the child exits on its own, runExec ends with its exit code', async () => {
      await write('secret/data/exit', { data: { code: '7' } });
      const runner = startExec({
        env_template: {
          CODE: [{ contents: '{{ with secret "secret/exit" }}{{ .Data.data.code }}{{ end }}' }],
        },
        exec: [{ command: [process.execPath, '-e', 'process.exit(Number(process.env.CODE))'] }],
      });
      assert.equal(await runner.done, 7);
    });

    test('J4: a template that breaks stops the child and fails, and no rendered secret reaches the agent log', async () => {
      const good = canary('exec_good');
      const other = canary('exec_other');
      await write('secret/data/exec-break', { data: { password: good } });
      const out = join(dir, 'exec-break.jsonl');
      const runner = startExec({
        template_config: [{ static_secret_render_interval: '1s', exit_on_retry_failure: true }],
        env_template: {
          DB_PASSWORD: [
            {
              contents: '{{ with secret "secret/exec-break" }}{{ .Data.data.password }}{{ end }}',
              error_on_missing_key: true,
            },
          ],
          DUMP: [{ contents: '{{ with secret "secret/exec-break" }}{{ .Data.data }}{{ end }}' }],
        },
        exec: [{ command: [process.execPath, '-e', CHILD, out] }],
      });
      await eventually(async () => (await lines(out)).length === 1, 10_000, 'child started');
      await write('secret/data/exec-break', { data: { renamed: other } });
      await assert.rejects(runner.done, /map has no entry for key "password"/);
      const events = await lines(out);
      assert.equal(events.at(-1)?.stopped, 'SIGTERM', 'the child was stopped');
      assert.match(logText(), /rendering env_template "DB_PASSWORD" failed/);
      assert.ok(
        !logText().includes(good) && !logText().includes(other),
        'no rendered value in the agent log',
      );
    });
    test('J4: a value an environment cannot hold fails by name, never quoting the value', async () => {
      const nul = `${canary('exec_nul')}\u0000tail`;
      await write('secret/data/nul', { data: { v: nul } });
      const runner = startExec({
        env_template: {
          WITH_NUL: [{ contents: '{{ with secret "secret/nul" }}{{ .Data.data.v }}{{ end }}' }],
        },
        exec: [{ command: [process.execPath, '-e', ''] }],
      });
      await assert.rejects(runner.done, (error: Error) => {
        assert.match(error.message, /env_template "WITH_NUL" rendered a value with a NUL byte/);
        assert.ok(!error.message.includes('CANARY_exec_nul'));
        return true;
      });
    });
  });

  describe('a PostgreSQL credential', () => {
    let cluster: ScramCluster;
    before(async () => {
      cluster = await startScramCluster();
      const admin = await cluster.createAdmin('coffer_agent');
      registerCanary(admin.password, 'postgres admin password');
      await write('sys/mounts/database', { type: 'database' });
      await write('database/config/pg', {
        plugin_name: 'postgresql-database-plugin',
        connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${cluster.port}/postgres`,
        username: admin.username,
        password: admin.password,
        allowed_roles: ['app'],
      });
      await write('database/roles/app', {
        db_name: 'pg',
        creation_statements: [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        ],
        default_ttl: '3s',
        max_ttl: '1m',
      });
    });
    after(async () => {
      await cluster?.stop();
    });

    test('J3: a renewable lease is renewed (the credential is kept), and the one credential works', async () => {
      const destination = join(dir, 'db.env');
      const runner = start({
        template: [
          {
            contents:
              '{{ with secret "database/creds/app" }}{{ .Data.username }}\n{{ .Data.password }}\n{{ .LeaseID }}\n{{ .Renewable }}{{ end }}',
            destination,
          },
        ],
      });
      try {
        await eventually(
          async () => (await readFile(destination, 'utf8').catch(() => '')) !== '',
          15_000,
          'render',
        );
        const [username, password, leaseId, renewable] = (await readFile(destination, 'utf8')).split('\n');
        registerCanary(password, 'database password');
        assert.equal(renewable, 'true');
        assert.ok(await cluster.canLogin(username, password), 'the rendered credential logs in');
        // A 3 s lease, renewed at about 2 s: after 7 s it has been renewed at least twice and not re-issued.
        await new Promise((resolve) => setTimeout(resolve, 7000));
        const lookup = await server.api('PUT', 'sys/leases/lookup', { lease_id: leaseId }, server.rootToken);
        assert.equal(lookup.status, 200, lookup.text);
        assert.ok(lookup.body.data.last_renewal, 'the lease was renewed');
        assert.ok(lookup.body.data.ttl > 0, 'the lease is alive past its first 3 s');
        assert.equal(
          await readFile(destination, 'utf8'),
          [username, password, leaseId, renewable].join('\n'),
        );
        const leases = await server.api(
          'LIST',
          'sys/leases/lookup/database/creds/app/',
          undefined,
          server.rootToken,
        );
        assert.deepEqual(
          leases.body.data.keys,
          [leaseId.split('/').pop()],
          'one credential, not one per interval',
        );
        assert.ok(await cluster.canLogin(username, password), 'still logs in after the first TTL');
        assert.match(logText(), /renewed the lease of database\/creds\/app/);
      } finally {
        await runner.stop();
      }
    });
  });
});
