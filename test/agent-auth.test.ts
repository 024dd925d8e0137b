/**
 * `coffer agent` end to end (SECURITY.md J1, J2, J5, K3): a real server and the real agent process.
 * AppRole auto-auth with short TTLs and a reader polling the sink; a wrapped secret ID; a server
 * behind a FaultProxy that refuses connections; the API proxy's listeners; process listings and logs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSigningKey, signToken } from '../src/auth/jwt/testing.js';
import { startTokenReviewServer } from '../src/auth/kubernetes/testing.js';
import { startAgent, type TestAgent } from './helpers/agent.js';
import { registerCanary } from './helpers/canary.js';
import { eventually } from './helpers/eventually.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const TOKEN_SHAPE = /^hvs\.[0-9A-Za-z]{31}$/;

let server: TestServer;
let root = '';
const agents: TestAgent[] = [];

before(async () => {
  server = await startTestServer();
  root = server.rootToken;
  for (const [method, path, body] of [
    ['POST', 'sys/auth/approle', { type: 'approle' }],
    [
      'PUT',
      'sys/policies/acl/agent',
      { policy: 'path "auth/token/lookup-self" { capabilities = ["read"] }' },
    ],
    ['POST', 'auth/approle/role/short', { token_policies: 'agent', token_ttl: '3s', token_max_ttl: '6s' }],
    ['POST', 'auth/approle/role/agent', { token_policies: 'agent', token_ttl: '1h' }],
  ] as const) {
    const res = await server.api(method, path, body, root);
    assert.ok(res.status < 300, `${path}: ${res.text}`);
  }
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await server.stop();
  await removeServerDir(server);
});

async function run(config: string, options: Parameters<typeof startAgent>[2] = {}): Promise<TestAgent> {
  const agent = await startAgent(server.dir, config, options);
  agents.push(agent);
  return agent;
}

async function roleId(role: string): Promise<string> {
  const id = (await server.api('GET', `auth/approle/role/${role}/role-id`, undefined, root)).body.data
    .role_id;
  registerCanary(id, 'approle role_id');
  return id;
}

async function secretId(role: string, wrapTtl?: string): Promise<string> {
  const headers: Record<string, string> = wrapTtl ? { 'X-Vault-Wrap-TTL': wrapTtl } : {};
  const res = await server.api('POST', `auth/approle/role/${role}/secret-id`, {}, root, headers);
  const value = wrapTtl ? res.body.wrap_info.token : res.body.data.secret_id;
  registerCanary(value, wrapTtl ? 'wrapped secret_id token' : 'approle secret_id');
  return value;
}

/** Role and secret ID files for `role` under a fresh name; returns their paths. */
async function credentialFiles(role: string, name: string, wrapTtl?: string) {
  const roleFile = join(server.dir, `${name}-role-id`);
  const secretFile = join(server.dir, `${name}-secret-id`);
  await writeFile(roleFile, await roleId(role), { mode: 0o600 });
  await writeFile(secretFile, await secretId(role, wrapTtl), { mode: 0o600 });
  return { roleFile, secretFile };
}

function approleBlock(roleFile: string, secretFile: string, extra = '', methodExtra = ''): string {
  return `
  method "approle" {
    ${methodExtra}
    config = {
      role_id_file_path   = "${roleFile}"
      secret_id_file_path = "${secretFile}"
      ${extra}
    }
  }`;
}

const vaultBlock = (address = server.address) => `vault {\n  address = "${address}"\n}\n`;

async function readSink(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

describe('J1: AppRole auto-auth, token renewal and re-authentication, sinks', () => {
  test('a 3 s / 6 s token is replaced before it expires; the sink is never empty or partial; modes hold', async () => {
    const { roleFile, secretFile } = await credentialFiles('short', 'j1');
    const sink = join(server.dir, 'j1-token');
    const groupSink = join(server.dir, 'j1-token-group');
    const agent = await run(
      `${vaultBlock()}
auto_auth {
${approleBlock(roleFile, secretFile)}
  sink "file" {
    config = { path = "${sink}" }
  }
  sink "file" {
    config = { path = "${groupSink}", mode = 0640 }
  }
}
`,
      { umask: 0, args: ['-log-level=debug'] },
    );
    // The reader polls every 10 ms; each read is either "no file yet" or a whole token.
    const seen: { token: string; at: number }[] = [];
    const bad: string[] = [];
    let reads = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const text = await readSink(sink);
        if (text !== undefined) {
          reads++;
          if (!TOKEN_SHAPE.test(text)) bad.push(`${text.length} bytes`);
          else if (seen.at(-1)?.token !== text) {
            registerCanary(text, 'agent token');
            seen.push({ token: text, at: Date.now() });
          }
        }
        await sleep(10);
      }
    })();
    await eventually(async () => seen.length >= 1, 15_000, 'first token in the sink');
    await eventually(async () => seen.length >= 3, 20_000, 'two re-authentications');
    polling = false;
    await poller;
    assert.deepEqual(bad, [], 'the reader saw an empty or partial sink');
    assert.ok(reads > 100, `only ${reads} reads`);
    // Each token was replaced before its 6 s max TTL ran out (it was issued before it was first seen).
    for (let i = 1; i < seen.length; i++) {
      assert.ok(
        seen[i].at - seen[i - 1].at < 6000,
        `token ${i} came ${seen[i].at - seen[i - 1].at} ms after`,
      );
    }
    const current = await readSink(sink);
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, current)).status, 200);
    assert.equal((await stat(sink)).mode & 0o777, 0o600, 'default sink mode under umask 000');
    assert.equal((await stat(groupSink)).mode & 0o777, 0o640, 'configured sink mode');
    assert.equal(await readSink(groupSink), current);
    assert.equal(existsSync(secretFile), false, 'the secret ID file is removed after reading');
    assert.equal(existsSync(roleFile), true, 'the role ID file stays');
    // No secret reached the agent's own output (the canary sweep checks the same at exit, in every encoding).
    const output = agent.output();
    for (const { token } of seen) assert.ok(!output.includes(token), 'a token in the agent output');
    assert.ok(!output.includes(await readFile(roleFile, 'utf8')), 'the role ID in the agent output');
    assert.match(output, /re-authenticating/);
    await agent.stop();
  });

  test('a wrapped secret ID is unwrapped once, after its creation path is checked, and works exactly once', async () => {
    const { roleFile, secretFile } = await credentialFiles('agent', 'j1w', '5m');
    const wrappingToken = await readFile(secretFile, 'utf8');
    const sink = join(server.dir, 'j1w-token');
    const wrapped = (
      file: string,
      out: string,
      path = 'auth/approle/role/agent/secret-id',
    ) => `${vaultBlock()}
exit_after_auth = true
auto_auth {
${approleBlock(roleFile, file, `secret_id_response_wrapping_path = "${path}"`, 'exit_on_err = true')}
  sink "file" {
    config = { path = "${out}" }
  }
}
`;
    const first = await run(wrapped(secretFile, sink), { noWait: true });
    assert.equal(await first.exited, 0, first.output());
    assert.match((await readSink(sink)) ?? '', TOKEN_SHAPE);

    // The same wrapping token a second time: already unwrapped, so the login fails and the agent exits.
    const again = join(server.dir, 'j1w-again');
    await writeFile(again, wrappingToken, { mode: 0o600 });
    const second = await run(wrapped(again, join(server.dir, 'j1w-token-2')), { noWait: true });
    assert.notEqual(await second.exited, 0);
    assert.equal(existsSync(join(server.dir, 'j1w-token-2')), false);

    // A wrapping token from another path is refused before it is unwrapped.
    const other = join(server.dir, 'j1w-other');
    await writeFile(other, await secretId('agent', '5m'), { mode: 0o600 });
    const third = await run(
      wrapped(other, join(server.dir, 'j1w-token-3'), 'auth/approle/role/short/secret-id'),
      {
        noWait: true,
      },
    );
    assert.notEqual(await third.exited, 0);
    assert.match(third.output(), /unable to validate wrapping token creation path/);
  });
  test('a revoked token is replaced: the failed renewal sends the agent back to login', async () => {
    const { roleFile, secretFile } = await credentialFiles('short', 'j1r');
    const sink = join(server.dir, 'j1r-token');
    const agent = await run(`${vaultBlock()}
auto_auth {
${approleBlock(roleFile, secretFile)}
  sink "file" {
    config = { path = "${sink}" }
  }
}
`);
    await eventually(async () => TOKEN_SHAPE.test((await readSink(sink)) ?? ''), 15_000, 'first token');
    const revoked = (await readSink(sink)) ?? '';
    registerCanary(revoked, 'agent token');
    assert.equal((await server.api('PUT', 'auth/token/revoke', { token: revoked }, root)).status, 204);
    await eventually(
      async () => {
        const current = (await readSink(sink)) ?? '';
        return current !== revoked && TOKEN_SHAPE.test(current);
      },
      5000,
      'a new token after the revocation',
    );
    const current = (await readSink(sink)) ?? '';
    registerCanary(current, 'agent token');
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, current)).status, 200);
    assert.match(
      agent.output(),
      /renewing the token failed[\s\S]*re-authenticating \{"reason":"renewal failed"\}/,
    );
    await agent.stop();
  });
});

describe('J2: the server refuses connections', () => {
  test('the agent backs off (at most 20 attempts in 30 s) and recovers without intervention', async () => {
    const proxy = await new FaultProxy(Number(new URL(server.address).port)).start();
    after(() => proxy.close());
    proxy.setMode('refuse');
    const { roleFile, secretFile } = await credentialFiles('agent', 'j2');
    const sink = join(server.dir, 'j2-token');
    await run(`${vaultBlock(`http://127.0.0.1:${proxy.port}`)}
auto_auth {
${approleBlock(roleFile, secretFile, '', 'max_backoff = "4s"')}
  sink "file" {
    config = { path = "${sink}" }
  }
}
`);
    // When each attempt arrived, to see the waits between them grow.
    const arrivals: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      while (arrivals.length < proxy.refused) arrivals.push(Date.now());
      await sleep(50);
    }
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]);
    // Wide bounds: the schedule itself is unit-tested (src/agent/backoff.test.ts); this checks that the
    // real process waits about 1 s first and about max_backoff at the end, on a possibly loaded machine.
    assert.ok(gaps[0] < 2500, `first wait ${gaps[0]} ms (min_backoff 1 s)`);
    assert.ok(
      gaps.slice(-2).every((gap) => gap >= 2500 && gap <= 6000),
      `last waits ${gaps.slice(-2)} (max_backoff 4 s)`,
    );
    const attempts = proxy.refused;
    assert.ok(attempts >= 5, `only ${attempts} attempts in 30 s: the agent stopped trying`);
    assert.ok(attempts <= 20, `${attempts} attempts in 30 s`);
    proxy.setMode('pass');
    await eventually(
      async () => TOKEN_SHAPE.test((await readSink(sink)) ?? ''),
      10_000,
      'login after recovery',
    );
    registerCanary(await readSink(sink), 'agent token');
  });
});

function unixRequest(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('J5: the API proxy', () => {
  let agent: TestAgent;
  let sink = '';
  let socket = '';

  before(async () => {
    const { roleFile, secretFile } = await credentialFiles('agent', 'j5');
    sink = join(server.dir, 'j5-token');
    socket = join(server.dir, 'agent.sock');
    agent = await run(
      `${vaultBlock()}
auto_auth {
${approleBlock(roleFile, secretFile)}
  sink "file" {
    config = { path = "${sink}" }
  }
}
pid_file = "${join(server.dir, 'agent.pid')}"
api_proxy {
  use_auto_auth_token = true
}
listener "tcp" {
  address                = "127.0.0.1:0"
  tls_disable            = true
  require_request_header = true
  max_request_size       = 1024
}
listener "unix" {
  address = "${socket}"
}
`,
      { umask: 0 },
    );
    await eventually(async () => TOKEN_SHAPE.test((await readSink(sink)) ?? ''), 15_000, 'agent token');
    registerCanary(await readSink(sink), 'agent token');
  });

  test('a request without X-Vault-Request: true gets 412, and the token is not used', async () => {
    const res = await fetch(`${agent.addresses[0]}/v1/auth/token/lookup-self`);
    assert.equal(res.status, 412);
    assert.deepEqual(await res.json(), { errors: ['missing "X-Vault-Request" header'] });
    const wrong = await fetch(`${agent.addresses[0]}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Request': 'false' },
    });
    assert.equal(wrong.status, 412);
  });

  test('with use_auto_auth_token, a plain request is served with the agent token; a caller token is kept', async () => {
    const res = await fetch(`${agent.addresses[0]}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Request': 'true' },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.data.id, await readSink(sink));
    const own = await fetch(`${agent.addresses[0]}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Request': 'true', 'X-Vault-Token': root },
    });
    assert.deepEqual((await own.json()).data.policies, ['root']);
  });

  test('a body over the listener limit gets 413 and is not forwarded', async () => {
    const res = await fetch(`${agent.addresses[0]}/v1/sys/policies/acl/big`, {
      method: 'PUT',
      headers: { 'X-Vault-Request': 'true', 'X-Vault-Token': root, 'Content-Type': 'application/json' },
      body: JSON.stringify({ policy: 'x'.repeat(2048) }),
    });
    assert.equal(res.status, 413);
    assert.equal((await server.api('GET', 'sys/policies/acl/big', undefined, root)).status, 404);
  });

  test('the unix socket is 0600 under umask 000 and serves the API', async () => {
    assert.equal((await stat(socket)).mode & 0o777, 0o600);
    const res = await unixRequest(socket, '/v1/auth/token/lookup-self');
    assert.equal(res.status, 200);
  });

  test('K3: no secret in the agent command line', async () => {
    const cmdline = await readFile(`/proc/${agent.process.pid}/cmdline`, 'utf8');
    const token = (await readSink(sink)) ?? '';
    assert.ok(token !== '' && !cmdline.includes(token));
    assert.doesNotMatch(cmdline, /hvs\./);
    assert.match(cmdline, /agent\0-config=/);
  });

  test('pid_file holds the agent pid', async () => {
    assert.equal(await readFile(join(server.dir, 'agent.pid'), 'utf8'), String(agent.process.pid));
  });
});

describe('token_file auto-auth and a response-wrapped sink', () => {
  test('the token from the file goes to the sink wrapped (server from VAULT_ADDR); unwrapping gives it back', async () => {
    const created = await server.api('POST', 'auth/token/create', { policies: ['agent'], ttl: '1h' }, root);
    const token = created.body.auth.client_token;
    registerCanary(token, 'token_file token');
    const tokenFile = join(server.dir, 'tf-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const sink = join(server.dir, 'tf-sink');
    const agent = await run(
      `exit_after_auth = true
auto_auth {
  method "token_file" {
    config = { token_file_path = "${tokenFile}" }
  }
  sink "file" {
    wrap_ttl = "5m"
    config = { path = "${sink}" }
  }
}
`,
      { noWait: true, env: { VAULT_ADDR: server.address } },
    );
    assert.equal(await agent.exited, 0, agent.output());
    const wrapInfo = JSON.parse((await readSink(sink)) ?? '{}');
    assert.equal(wrapInfo.creation_path, 'sys/wrapping/wrap');
    assert.ok(wrapInfo.ttl > 0 && wrapInfo.ttl <= 300);
    const unwrapped = await server.api('PUT', 'sys/wrapping/unwrap', undefined, wrapInfo.token);
    assert.equal(unwrapped.body.data.token, token);
    assert.equal((await stat(sink)).mode & 0o777, 0o600);
  });
});

/** Runs an agent with exit_after_auth and this method; it must exit 0 with a token of the `agent` policy. */
async function authenticateOnce(type: string, config: Record<string, string>): Promise<void> {
  const sink = join(server.dir, `${type}-sink`);
  const settings = Object.entries(config)
    .map(([key, value]) => `      ${key} = "${value}"`)
    .join('\n');
  const agent = await run(
    `${vaultBlock()}
exit_after_auth = true
auto_auth {
  method "${type}" {
    exit_on_err = true
    config = {
${settings}
    }
  }
  sink "file" {
    config = { path = "${sink}" }
  }
}
`,
    { noWait: true },
  );
  assert.equal(await agent.exited, 0, agent.output());
  const token = (await readSink(sink)) ?? '';
  registerCanary(token, 'agent token');
  const lookup = await server.api('GET', 'auth/token/lookup-self', undefined, token);
  assert.deepEqual(lookup.body.data.policies, ['agent', 'default']);
}

describe('jwt auto-auth', () => {
  test('logs in with the JWT from the file and removes the file after reading it', async () => {
    const key = await createSigningKey('agent-key');
    for (const [path, body] of [
      ['sys/auth/jwt', { type: 'jwt' }],
      ['auth/jwt/config', { jwt_validation_pubkeys: [key.publicPem] }],
      [
        'auth/jwt/role/agent',
        { role_type: 'jwt', user_claim: 'sub', bound_audiences: 'coffer-agent', token_policies: 'agent' },
      ],
    ] as const) {
      const res = await server.api('POST', path, body, root);
      assert.ok(res.status < 300, `${path}: ${res.text}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = await signToken(key, { sub: 'agent', aud: 'coffer-agent', iat: now, exp: now + 300 });
    registerCanary(jwt, 'agent JWT');
    const jwtFile = join(server.dir, 'agent.jwt');
    await writeFile(jwtFile, jwt, { mode: 0o600 });
    await authenticateOnce('jwt', { path: jwtFile, role: 'agent' });
    assert.equal(existsSync(jwtFile), false, 'the JWT file is removed after reading');
  });
});

describe('kubernetes auto-auth', () => {
  test('logs in with the service account token from token_path, which stays in place', async () => {
    const k8s = await startTokenReviewServer();
    after(() => k8s.close());
    const reviewerJwt = 'eyJhbGciOiJSUzI1NiJ9.agent-reviewer-canary-51c2.signature';
    registerCanary(reviewerJwt, 'token reviewer JWT');
    for (const [path, body] of [
      ['sys/auth/kubernetes', { type: 'kubernetes' }],
      [
        'auth/kubernetes/config',
        {
          kubernetes_host: k8s.url,
          kubernetes_ca_cert: k8s.caPem,
          token_reviewer_jwt: reviewerJwt,
          disable_local_ca_jwt: true,
        },
      ],
      [
        'auth/kubernetes/role/web',
        {
          bound_service_account_names: ['web'],
          bound_service_account_namespaces: ['apps'],
          token_policies: 'agent',
        },
      ],
    ] as const) {
      const res = await server.api('POST', path, body, root);
      assert.ok(res.status < 300, `${path}: ${res.text}`);
    }
    const serviceAccountToken = await k8s.issueToken({
      namespace: 'apps',
      name: 'web',
      uid: 'b3e1c0de-0000-4000-8000-000000000001',
    });
    registerCanary(serviceAccountToken, 'service account token');
    const tokenPath = join(server.dir, 'sa-token');
    await writeFile(tokenPath, serviceAccountToken, { mode: 0o600 });
    await authenticateOnce('kubernetes', { role: 'web', token_path: tokenPath });
    assert.equal(existsSync(tokenPath), true, "the projected token is not the agent's to remove");
  });
});

describe('configuration errors', () => {
  const cases = [
    {
      name: 'an unknown method type',
      block: 'auto_auth {\n  method "ldapx" {\n  }\n}',
      error: /method "ldapx".*unknown/,
    },
    {
      name: 'a misspelt approle field',
      block: 'auto_auth {\n  method "approle" {\n    config = { role_id_file = "x" }\n  }\n}',
      error: /unknown field "role_id_file"/,
    },
    {
      name: 'an unknown sink type',
      block:
        'auto_auth {\n  method "token_file" {\n    config = { token_file_path = "x" }\n  }\n  sink "s3" {\n  }\n}',
      error: /sink "s3".*unknown sink type/,
    },
  ];
  for (const c of cases) {
    test(`${c.name} stops the agent with a clear error`, async () => {
      const agent = await run(c.block, { noWait: true });
      assert.equal(await agent.exited, 1);
      assert.match(agent.output(), c.error);
    });
  }
});
