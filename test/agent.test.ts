/**
 * `coffer agent` with templates and exec mode, end to end through the real `bin/coffer.js agent` process
 * (SECURITY.md J3, J4, K3, K4): AppRole auto-auth feeding the template runner and the exec supervisor.
 * The agent's output is watched by the K1 canary sweep.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, type TestAgent } from './helpers/agent.js';
import { registerCanary } from './helpers/canary.js';
import { eventually } from './helpers/eventually.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let root = '';
let dir = '';
const agents: TestAgent[] = [];

function canary(label: string): string {
  const value = `CANARY_${label}_${Math.random().toString(16).slice(2, 12)}`;
  registerCanary(value, label);
  return value;
}

async function api(method: string, path: string, body?: unknown) {
  const res = await server.api(method, path, body, root);
  assert.ok(res.status < 300, `${path}: ${res.status} ${res.text}`);
  return res;
}

before(async () => {
  server = await startTestServer();
  root = server.rootToken;
  dir = join(server.dir, 'agent-e2e');
  await mkdir(dir, { mode: 0o700 });
  await api('POST', 'sys/auth/approle', { type: 'approle' });
  await api('POST', 'sys/mounts/kv2agent', { type: 'kv', options: { version: '2' } });
  await api('PUT', 'sys/policies/acl/tpl', {
    policy:
      'path "kv2agent/*" { capabilities = ["read", "list"] }\npath "auth/token/lookup-self" { capabilities = ["read"] }',
  });
  await api('POST', 'auth/approle/role/tpl', { token_policies: 'tpl', token_ttl: '1h' });
  await api('POST', 'auth/approle/role/tplshort', {
    token_policies: 'tpl',
    token_ttl: '2s',
    token_max_ttl: '4s',
  });
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await server?.stop();
  if (server) await removeServerDir(server);
});

async function run(config: string, options: Parameters<typeof startAgent>[2] = {}): Promise<TestAgent> {
  const agent = await startAgent(server.dir, config, options);
  agents.push(agent);
  return agent;
}

/** AppRole credential files for `role`, under a fresh name. */
async function approle(role: string, name: string): Promise<string> {
  const roleId = (await api('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id;
  const secretId = (await api('POST', `auth/approle/role/${role}/secret-id`, {})).body.data.secret_id;
  registerCanary(roleId, 'approle role_id');
  registerCanary(secretId, 'approle secret_id');
  const roleFile = join(dir, `${name}-role-id`);
  const secretFile = join(dir, `${name}-secret-id`);
  await writeFile(roleFile, roleId, { mode: 0o600 });
  await writeFile(secretFile, secretId, { mode: 0o600 });
  return `
vault {
  address = "${server.address}"
  retry {
    num_retries = 2
  }
}
auto_auth {
  method "approle" {
    config = {
      role_id_file_path   = "${roleFile}"
      secret_id_file_path = "${secretFile}"
      remove_secret_id_file_after_reading = false
    }
  }
}
`;
}

const readOr = async (path: string, fallback = '') => readFile(path, 'utf8').catch(() => fallback);

describe('templates through coffer agent', () => {
  test('J3: a KV v2 secret is rendered to a 0600 file under umask 000 and rendered again after it changes', async () => {
    const first = canary('agent_tpl_first');
    const second = canary('agent_tpl_second');
    await api('POST', 'kv2agent/data/a', { data: { password: first } });
    const destination = join(dir, 'a', 'app.env');
    const agent = await run(
      `${await approle('tpl', 'a')}
template_config {
  static_secret_render_interval = "1s"
}
template {
  contents    = "{{ with secret \\"kv2agent/data/a\\" }}PASSWORD={{ .Data.data.password }}{{ end }}"
  destination = "${destination}"
}
`,
      { umask: 0 },
    );
    await eventually(async () => (await readOr(destination)) === `PASSWORD=${first}`, 15_000, 'first render');
    assert.equal((await stat(destination)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o700);
    await api('POST', 'kv2agent/data/a', { data: { password: second } });
    await eventually(async () => (await readOr(destination)) === `PASSWORD=${second}`, 15_000, 're-render');
    assert.equal((await stat(destination)).mode & 0o777, 0o600);
    await agent.stop();
    assert.doesNotMatch(agent.output(), /CANARY_/);
  });

  test('J3: error_on_missing_key with exit_on_retry_failure stops the agent non-zero and keeps the last good file', async () => {
    const good = canary('agent_tpl_good');
    const other = canary('agent_tpl_other');
    await api('POST', 'kv2agent/data/c', { data: { password: good } });
    const destination = join(dir, 'c.env');
    const agent = await run(`${await approle('tpl', 'c')}
template_config {
  static_secret_render_interval = "1s"
  exit_on_retry_failure         = true
}
template {
  contents             = "{{ with secret \\"kv2agent/data/c\\" }}{{ .Data.data.password }}{{ end }}"
  destination          = "${destination}"
  error_on_missing_key = true
}
`);
    await eventually(async () => (await readOr(destination)) === good, 15_000, 'first render');
    await api('POST', 'kv2agent/data/c', { data: { renamed: other } });
    const code = await Promise.race([agent.exited, sleep(20_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', 'the agent exits');
    assert.notEqual(code, 0);
    assert.equal(await readOr(destination), good, 'the last good file is left untouched');
    assert.match(agent.output(), /password/, 'the error names the missing key');
    assert.ok(!agent.output().includes(good) && !agent.output().includes(other), 'no secret in the output');
  });

  test('a token re-authentication (2 s / 4 s token) keeps the template rendering with the new token', async () => {
    const values = [canary('agent_reauth_0'), canary('agent_reauth_1')];
    await api('POST', 'kv2agent/data/d', { data: { password: values[0] } });
    const destination = join(dir, 'd.env');
    const sink = join(dir, 'd-token');
    const base = await approle('tplshort', 'd');
    const agent = await run(`${base.replace(
      /\n}\n$/,
      `\n  sink "file" {\n    config = { path = "${sink}" }\n  }\n}\n`,
    )}
template_config {
  static_secret_render_interval = "1s"
}
template {
  contents    = "{{ with secret \\"kv2agent/data/d\\" }}{{ .Data.data.password }}{{ end }}"
  destination = "${destination}"
}
`);
    await eventually(async () => (await readOr(destination)) === values[0], 15_000, 'first render');
    const firstToken = await readOr(sink);
    registerCanary(firstToken, 'agent token');
    // Past the first token's max TTL: only a new login can read the secret now.
    await eventually(
      async () => {
        const token = await readOr(sink);
        return token !== '' && token !== firstToken;
      },
      15_000,
      're-authentication',
    );
    registerCanary(await readOr(sink), 'agent token');
    await sleep(4500);
    const lookup = await server.api('POST', 'auth/token/lookup', { token: firstToken }, root);
    assert.notEqual(lookup.status, 200, 'the first token has expired');
    await api('POST', 'kv2agent/data/d', { data: { password: values[1] } });
    await eventually(
      async () => (await readOr(destination)) === values[1],
      15_000,
      'render with a later token',
    );
    assert.equal(agent.process.exitCode, null, 'the agent keeps running');
  });

  test('exit_after_auth renders every template once, then exits 0', async () => {
    const value = canary('agent_once');
    await api('POST', 'kv2agent/data/e', { data: { password: value } });
    const destination = join(dir, 'e.env');
    const agent = await run(
      `${await approle('tpl', 'e')}
exit_after_auth = true
template {
  contents    = "{{ with secret \\"kv2agent/data/e\\" }}{{ .Data.data.password }}{{ end }}"
  destination = "${destination}"
}
`,
      { noWait: true },
    );
    assert.equal(await agent.exited, 0);
    assert.equal(await readOr(destination), value);
  });

  test('a template that does not parse is a configuration error at start, exit 1, without its text', async () => {
    const secret = canary('agent_bad_tpl');
    const agent = await run(
      `${await approle('tpl', 'f')}
template {
  contents    = "${secret} {{ with secret "
  destination = "${join(dir, 'f.env')}"
}
`,
      { noWait: true },
    );
    assert.equal(await agent.exited, 1);
    assert.match(agent.output(), /Error loading configuration/);
    assert.ok(!agent.output().includes(secret));
  });
});

describe('exec mode through coffer agent', () => {
  /** Records its pid and DB_PASSWORD (never prints them); exits 7 once `quit` exists, 0 on SIGTERM. */
  const CHILD = `
const { appendFileSync, existsSync } = require('node:fs');
const [out, quit] = process.argv.slice(1);
appendFileSync(out, JSON.stringify({ pid: process.pid, password: process.env.DB_PASSWORD }) + '\\n');
process.on('SIGTERM', () => process.exit(0));
setInterval(() => { if (existsSync(quit)) process.exit(7); }, 50);
`;

  test('J4: the secret is in the child env, not its argv; a change restarts it; its exit code is the agent exit code', async () => {
    const first = canary('agent_exec_first');
    const second = canary('agent_exec_second');
    await api('POST', 'kv2agent/data/x', { data: { password: first } });
    const out = join(dir, 'exec.jsonl');
    const quit = join(dir, 'exec.quit');
    const agent = await run(`${await approle('tpl', 'x')}
template_config {
  static_secret_render_interval = "1s"
}
env_template "DB_PASSWORD" {
  contents = "{{ with secret \\"kv2agent/data/x\\" }}{{ .Data.data.password }}{{ end }}"
}
exec {
  command = ["${process.execPath}", "-e", ${JSON.stringify(CHILD)}, "${out}", "${quit}"]
}
`);
    const lines = async () =>
      (await readOr(out))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { pid: number; password: string });
    await eventually(async () => (await lines()).length === 1, 15_000, 'child started');
    const [started] = await lines();
    assert.equal(started.password, first);
    const cmdline = await readFile(`/proc/${started.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(first), "the secret is not in the child's argv");
    assert.ok(!(await readFile(`/proc/${agent.process.pid}/cmdline`, 'utf8')).includes(first));

    await api('POST', 'kv2agent/data/x', { data: { password: second } });
    await eventually(async () => (await lines()).length === 2, 15_000, 'child restarted');
    const restarted = (await lines())[1];
    assert.equal(restarted.password, second);
    assert.notEqual(restarted.pid, started.pid);
    assert.ok(!(await readFile(`/proc/${restarted.pid}/cmdline`, 'utf8')).includes(second));

    await writeFile(quit, '');
    assert.equal(await agent.exited, 7, "the agent exits with the child's code");
    assert.ok(!agent.output().includes(first) && !agent.output().includes(second));
  });

  test('stopping the agent stops its child, and the agent exits 0 whatever the stopped child returns', async () => {
    const value = canary('agent_exec_stop');
    await api('POST', 'kv2agent/data/y', { data: { password: value } });
    const out = join(dir, 'exec-stop.jsonl');
    // No SIGTERM handler: the child dies of the signal (143 in a shell).
    const child = `require('node:fs').appendFileSync(process.argv[1], process.pid + '\\n'); setInterval(() => {}, 1000);`;
    const agent = await run(`${await approle('tpl', 'y')}
env_template "DB_PASSWORD" {
  contents = "{{ with secret \\"kv2agent/data/y\\" }}{{ .Data.data.password }}{{ end }}"
}
exec {
  command = ["${process.execPath}", "-e", ${JSON.stringify(child)}, "${out}"]
}
`);
    await eventually(async () => (await readOr(out)) !== '', 15_000, 'child started');
    const pid = Number((await readOr(out)).trim());
    agent.process.kill('SIGTERM');
    assert.equal(await agent.exited, 0);
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the child is gone');
  });
});
