/**
 * F5 end to end: rate-limit quotas against a real server (429 with Vault's text and headers, exempt
 * paths, precedence, block_interval, seal, restart), and the listener's X-Forwarded-For handling that
 * decides which client address a quota counts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../src/cli/testing.js';
import {
  type ApiResult,
  removeServerDir,
  restartOnSameStorage,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

/** Keeps quota administration out of the global quota, as an operator would. */
const EXEMPT = ['sys/health', 'sys/seal-status', 'sys/unseal', 'sys/seal', 'sys/quotas/', 'sys/audit'];

const count = (results: ApiResult[], status: number) => results.filter((r) => r.status === status).length;

describe('rate-limit quotas (F5)', () => {
  let server: TestServer;
  let root: string;
  const get = (path: string, headers?: Record<string, string>) =>
    server.api('GET', path, undefined, root, headers);
  before(async () => {
    server = await startTestServer({ storage: 'sqlite' });
    root = server.rootToken;
    await server.api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root);
    await server.api('POST', 'secret/data/app', { data: { a: '1' } }, root);
    await server.api(
      'POST',
      'sys/audit/file',
      { type: 'file', options: { file_path: join(server.dir, 'audit.log') } },
      root,
    );
    const config = await server.api(
      'POST',
      'sys/quotas/config',
      {
        enable_rate_limit_response_headers: true,
        enable_rate_limit_audit_logging: true,
        rate_limit_exempt_paths: EXEMPT,
      },
      root,
    );
    assert.equal(config.status, 204, config.text);
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('a 10/s quota on secret/ hit with 30 requests at once admits about 10; the rest get 429', async () => {
    const created = await server.api('POST', 'sys/quotas/rate-limit/kv', { path: 'secret/', rate: 10 }, root);
    assert.equal(created.status, 204, created.text);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 30 }, () => get('secret/data/app')));
    const elapsed = Date.now() - started;
    const admitted = count(results, 200);
    assert.equal(admitted + count(results, 429), 30, 'only 200s and 429s');
    // Windows are 1 s from the first request: a slow machine may straddle more than one.
    const windows = Math.floor(elapsed / 1000) + 1;
    assert.ok(admitted >= 10 && admitted <= 10 * windows, `${admitted} admitted in ${elapsed} ms`);
    if (elapsed < 1000) assert.equal(admitted, 10);
    const refused = results.find((r) => r.status === 429);
    if (!refused) return; // the burst spread over three windows: nothing was over the limit
    assert.deepEqual(refused.body, { errors: ['request path "secret/data/app": rate limit quota exceeded'] });
    assert.equal(refused.headers.get('x-ratelimit-limit'), '10');
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    const ok = results.find((r) => r.status === 200)!;
    assert.equal(ok.headers.get('x-ratelimit-limit'), '10');
    assert.match(ok.headers.get('x-ratelimit-remaining') ?? '', /^\d$/);
    assert.equal(ok.headers.get('retry-after'), null, 'Retry-After only on a refusal');
  });

  test('other mounts are not limited by a mount quota', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => get('sys/mounts')));
    assert.equal(count(results, 200), 20);
    assert.equal(results[0].headers.get('x-ratelimit-limit'), null, 'no quota applies there');
  });

  test('the refusal is audited when enable_rate_limit_audit_logging is on', async () => {
    await server.api('POST', 'sys/quotas/rate-limit/kv', { path: 'secret/', rate: 1, interval: '1h' }, root);
    await get('secret/data/app');
    assert.equal((await get('secret/data/app')).status, 429);
    const lines = (await readFile(join(server.dir, 'audit.log'), 'utf8')).trim().split('\n');
    const entry = lines
      .map((line) => JSON.parse(line))
      .find((e) => /rate limit quota exceeded/.test(e.error ?? ''));
    assert.ok(entry, 'a request entry with the error');
    assert.equal(entry.type, 'request');
    assert.equal(entry.request.path, 'secret/data/app');
    assert.equal(entry.request.remote_address, '127.0.0.1');
  });

  test('the most specific quota wins: path over mount over global', async () => {
    await server.api(
      'POST',
      'sys/quotas/rate-limit/kv',
      { path: 'secret/', rate: 100, interval: '1h' },
      root,
    );
    await server.api(
      'POST',
      'sys/quotas/rate-limit/app',
      { path: 'secret/data/app', rate: 2, interval: '1h' },
      root,
    );
    await server.api('POST', 'sys/quotas/rate-limit/global', { rate: 3, interval: '1h' }, root);
    const app = [await get('secret/data/app'), await get('secret/data/app'), await get('secret/data/app')];
    assert.deepEqual(
      app.map((r) => r.status),
      [200, 200, 429],
    );
    assert.equal(app[0].headers.get('x-ratelimit-limit'), '2');
    const other = await Promise.all(Array.from({ length: 5 }, () => get('secret/data/other')));
    assert.equal(count(other, 429), 0, 'the mount quota, not the global one');
    assert.equal(other[0].headers.get('x-ratelimit-limit'), '100');
    const mounts = [
      await get('sys/mounts'),
      await get('sys/mounts'),
      await get('sys/mounts'),
      await get('sys/mounts'),
    ];
    assert.deepEqual(
      mounts.map((r) => r.status),
      [200, 200, 200, 429],
      'the global quota elsewhere',
    );
  });

  test('exempt paths keep working under the global quota, without quota headers', async () => {
    const health = await Promise.all(Array.from({ length: 20 }, () => get('sys/health')));
    assert.equal(count(health, 200), 20);
    assert.equal(health[0].headers.get('x-ratelimit-limit'), null);
    assert.equal((await get('sys/quotas/rate-limit/global')).status, 200);
  });

  test('block_interval refuses the client past the next window, with Retry-After alone', async () => {
    const body = { path: 'cubbyhole/', rate: 1, interval: '1s', block_interval: '1h' };
    assert.equal((await server.api('POST', 'sys/quotas/rate-limit/blocky', body, root)).status, 204);
    assert.equal((await get('cubbyhole/x')).status, 404, 'the first request is served');
    const refused = await get('cubbyhole/x');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '3600');
    await sleep(1100);
    const stillBlocked = await get('cubbyhole/x');
    assert.equal(stillBlocked.status, 429, 'a new window, but still blocked');
    assert.ok(Number(stillBlocked.headers.get('retry-after')) > 3000);
    assert.equal(stillBlocked.headers.get('x-ratelimit-limit'), null);
  });

  test('the generic CLI reads and lists quotas', async () => {
    const env = { VAULT_ADDR: server.address, VAULT_TOKEN: root };
    const read = await runCli(['read', '-format=json', 'sys/quotas/rate-limit/app'], { env });
    assert.equal(read.code, 0, read.stderr);
    assert.equal(JSON.parse(read.stdout).data.path, 'secret/data/app');
    const list = await runCli(['list', 'sys/quotas/rate-limit'], { env });
    assert.match(list.stdout, /blocky/);
  });

  test('a sealed server limits nothing: it answers 503', async () => {
    assert.equal((await server.api('PUT', 'sys/seal', undefined, root)).status, 204);
    const sealed = await Promise.all(Array.from({ length: 5 }, () => get('secret/data/app')));
    assert.deepEqual(
      sealed.map((r) => r.status),
      [503, 503, 503, 503, 503],
    );
    await server.unseal();
  });

  test('quotas and their config survive a restart', async () => {
    await server.stop();
    server = await restartOnSameStorage(server);
    await server.unseal();
    const list = await server.api('LIST', 'sys/quotas/rate-limit', undefined, root);
    assert.deepEqual(list.body.data.keys, ['app', 'blocky', 'global', 'kv']);
    const config = await get('sys/quotas/config');
    assert.equal(config.body.data.enable_rate_limit_response_headers, true);
    assert.deepEqual(config.body.data.rate_limit_exempt_paths, EXEMPT);
    const app = [await get('secret/data/app'), await get('secret/data/app'), await get('secret/data/app')];
    assert.deepEqual(
      app.map((r) => r.status),
      [200, 200, 429],
    );
  });
});

describe('X-Forwarded-For and quotas', () => {
  const servers: TestServer[] = [];
  const start = async (listenerOptions: Record<string, string>, uninitialized = false) => {
    const server = await startTestServer({ storage: 'inmem', listenerOptions, uninitialized });
    servers.push(server);
    return server;
  };
  /** A global quota of 2 requests per hour, quota administration exempt. */
  const limitGlobally = async (server: TestServer) => {
    const root = server.rootToken;
    await server.api('POST', 'sys/quotas/config', { rate_limit_exempt_paths: EXEMPT }, root);
    const created = await server.api(
      'POST',
      'sys/quotas/rate-limit/global',
      { rate: 2, interval: '1h' },
      root,
    );
    assert.equal(created.status, 204, created.text);
  };
  after(async () => {
    for (const server of servers) {
      await server.stop();
      await removeServerDir(server);
    }
  });

  test('from an authorized proxy, the header names the client: for quotas and CIDR-bound tokens', async () => {
    const server = await start({
      x_forwarded_for_authorized_addrs: '127.0.0.1/32',
      x_forwarded_for_reject_not_present: 'false',
    });
    const root = server.rootToken;
    const role = { token_bound_cidrs: ['203.0.113.0/24'] };
    await server.api('POST', 'auth/token/roles/edge', role, root);
    const bound = await server.api('POST', 'auth/token/create/edge', { policies: ['default'] }, root);
    const token = bound.body.auth.client_token;
    const lookup = (from: string) =>
      server.api('GET', 'auth/token/lookup-self', undefined, token, { 'X-Forwarded-For': from });
    assert.equal((await lookup('203.0.113.77')).status, 200);
    assert.equal((await lookup('198.51.100.1')).status, 403);
    await limitGlobally(server);
    // The client is the last hop of the chain the proxy sends.
    const from = (client: string) =>
      server.api('GET', 'sys/mounts', undefined, root, { 'X-Forwarded-For': `198.51.100.9, ${client}` });
    const first = [await from('203.0.113.5'), await from('203.0.113.5'), await from('203.0.113.5')];
    assert.deepEqual(
      first.map((r) => r.status),
      [200, 200, 429],
    );
    assert.equal(
      (await from('203.0.113.6')).status,
      200,
      'another client behind the proxy has its own count',
    );
  });

  test('from an unauthorized peer, the header is refused by default (and so is a request without it)', async () => {
    const server = await start({ x_forwarded_for_authorized_addrs: '10.0.0.0/8' }, true);
    const spoofed = await server.api('GET', 'sys/health', undefined, undefined, {
      'X-Forwarded-For': '203.0.113.5',
    });
    assert.equal(spoofed.status, 400);
    assert.deepEqual(spoofed.body, {
      errors: ['client address not authorized for x-forwarded-for and configured to reject connection'],
    });
    const bare = await server.api('GET', 'sys/health');
    assert.equal(bare.status, 400);
    assert.deepEqual(bare.body, {
      errors: ['missing x-forwarded-for header and configured to reject when not present'],
    });
  });

  test('from an unauthorized peer, the header is ignored when so configured: spoofing buys no new count', async () => {
    const server = await start({
      x_forwarded_for_authorized_addrs: '10.0.0.0/8',
      x_forwarded_for_reject_not_authorized: 'false',
      x_forwarded_for_reject_not_present: 'false',
    });
    await limitGlobally(server);
    const results: ApiResult[] = [];
    for (let i = 1; i <= 4; i++) {
      const headers = { 'X-Forwarded-For': `203.0.113.${i}` };
      results.push(await server.api('GET', 'sys/mounts', undefined, server.rootToken, headers));
    }
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 429, 429],
    );
  });
});

describe('role-scoped rate-limit quotas', () => {
  let server: TestServer;
  let root: string;
  before(async () => {
    server = await startTestServer({ storage: 'sqlite' });
    root = server.rootToken;
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test("approle: a 1/interval quota for role A refuses A's second login with 429; role B logs in freely", async () => {
    assert.equal((await server.api('POST', 'sys/auth/approle', { type: 'approle' }, root)).status, 204);
    const roleIds: Record<string, string> = {};
    for (const name of ['a', 'b']) {
      const made = await server.api(
        'POST',
        `auth/approle/role/${name}`,
        {
          bind_secret_id: false,
          secret_id_bound_cidrs: ['127.0.0.0/8', '::1/128'],
        },
        root,
      );
      assert.equal(made.status, 204, made.text);
      roleIds[name] = (
        await server.api('GET', `auth/approle/role/${name}/role-id`, undefined, root)
      ).body.data.role_id;
    }
    const quota = { path: 'auth/approle/', role: 'a', rate: 1, interval: '1h' };
    const created = await server.api('POST', 'sys/quotas/rate-limit/role-a', quota, root);
    assert.equal(created.status, 204, created.text);
    const read = await server.api('GET', 'sys/quotas/rate-limit/role-a', undefined, root);
    assert.equal(read.body.data.role, 'a');
    assert.equal(read.body.data.path, 'auth/approle/');
    const login = (name: string) => server.api('POST', 'auth/approle/login', { role_id: roleIds[name] });
    const first = await login('a');
    assert.equal(first.status, 200, first.text);
    assert.ok(first.body.auth.client_token, 'the parsed body reached the login');
    const second = await login('a');
    assert.equal(second.status, 429, second.text);
    assert.deepEqual(second.body, {
      errors: ['request path "auth/approle/login": rate limit quota exceeded'],
    });
    for (let i = 0; i < 3; i++) assert.equal((await login('b')).status, 200, 'role B is not limited');
    // A second quota on the same role is the same scope; the mount itself is a different one.
    const twin = await server.api('POST', 'sys/quotas/rate-limit/twin', quota, root);
    assert.equal(twin.status, 400);
    assert.deepEqual(twin.body, {
      errors: ['quota rule with similar properties exists under the name "role-a"'],
    });
  });

  test("a role quota is refused where Vault refuses it, with Vault's errors", async () => {
    await server.api('POST', 'sys/auth/userpass', { type: 'userpass' }, root);
    await server.api('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    const cases = [
      {
        path: 'auth/approle/login',
        error:
          'Quotas cannot contain both a path suffix and a role. If a role is provided, path must be a valid auth mount with a concept of roles',
      },
      {
        path: 'kv/',
        error:
          'Mount path "kv/" is not a valid auth method and therefore unsuitable for use with role-based quotas',
      },
      {
        path: '',
        error:
          'Mount path "" is not a valid auth method and therefore unsuitable for use with role-based quotas',
      },
      {
        path: 'auth/userpass/',
        error: 'Mount path "auth/userpass/" does not support use with role-based quotas',
      },
    ];
    for (const c of cases) {
      const refused = await server.api(
        'POST',
        'sys/quotas/rate-limit/bad',
        { path: c.path, role: 'x', rate: 1 },
        root,
      );
      assert.equal(refused.status, 400, c.path);
      assert.deepEqual(refused.body, { errors: [c.error] }, c.path);
    }
  });
});
