/**
 * Audit and expiry end to end: no canary secret reaches the audit log, the server's output or an
 * error body; a request that no device can record is refused; an expired token's subtree is revoked
 * even when it expired while the server was down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

const canary = () => `canary${randomBytes(10).toString('hex')}`;

function encodings(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')];
}

describe('audit', () => {
  let server: TestServer;
  let root: string;
  before(async () => {
    // audit: false: these tests are about the devices they enable, the last one alone.
    server = await startTestServer({ dev: true, audit: false });
    root = server.rootToken;
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('500 requests with canary secrets leave no canary in the audit log, logs or error bodies', async () => {
    const auditFile = join(server.dir, 'audit.log');
    const enable = await server.api(
      'PUT',
      'sys/audit/file',
      { type: 'file', options: { file_path: auditFile } },
      root,
    );
    assert.equal(enable.status, 204, enable.text);
    const canaries: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 250; i++) {
      const secret = canary();
      canaries.push(secret);
      const res = await server.api('POST', `secret/data/canary/${i}`, { data: { password: secret } }, root);
      assert.equal(res.status, 200);
      bodies.push(
        (await server.api('GET', `secret/data/canary/${i}`, undefined, root)).text.replace(secret, ''),
      );
    }
    for (let i = 0; i < 200; i++) {
      const id = canary();
      canaries.push(id);
      const res = await server.api(
        'POST',
        'auth/token/create',
        { id, policies: ['default'], ttl: '1h' },
        root,
      );
      assert.equal(res.status, 200, res.text);
      bodies.push(res.text.replace(id, ''));
    }
    for (let i = 0; i < 50; i++) {
      const secret = canary();
      canaries.push(secret);
      // Refused requests must not echo the secret back either.
      bodies.push((await server.api('POST', 'secret/data/bad', { data: secret }, root)).text);
      bodies.push((await server.api('GET', 'sys/policy', undefined, secret)).text);
    }
    // Logins: passwords and secret ids go in, minted tokens come out; none may reach the log in clear.
    await server.api('POST', 'sys/auth/userpass', { type: 'userpass' }, root);
    await server.api('POST', 'sys/auth/approle', { type: 'approle' }, root);
    await server.api('POST', 'auth/approle/role/canary', { token_policies: 'default' }, root);
    const roleId = (await server.api('GET', 'auth/approle/role/canary/role-id', undefined, root)).body.data
      .role_id;
    for (let i = 0; i < 5; i++) {
      const password = canary();
      canaries.push(password);
      await server.api(
        'POST',
        `auth/userpass/users/canary${i}`,
        { password, token_policies: 'default' },
        root,
      );
      const login = await server.api('POST', `auth/userpass/login/canary${i}`, { password });
      assert.equal(login.status, 200, login.text);
      canaries.push(login.body.auth.client_token);
      bodies.push(
        (await server.api('POST', `auth/userpass/login/canary${i}`, { password: `${password}x` })).text,
      );
    }
    for (let i = 0; i < 40; i++) {
      const secretId = canary();
      canaries.push(secretId);
      const made = await server.api(
        'POST',
        'auth/approle/role/canary/custom-secret-id',
        { secret_id: secretId },
        root,
      );
      assert.equal(made.status, 200, made.text);
      const login = await server.api('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
      assert.equal(login.status, 200, login.text);
      canaries.push(login.body.auth.client_token);
    }
    const audit = await readFile(auditFile, 'utf8');
    const lines = audit
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.ok(lines.length >= 1000, `${lines.length} audit entries`);
    assert.ok(lines.some((l) => l.type === 'request') && lines.some((l) => l.type === 'response'));
    const haystacks = { audit, output: server.output(), bodies: bodies.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      const leaked = canaries.filter((c) => encodings(c).some((e) => text.includes(e)));
      assert.deepEqual(leaked, [], `canaries found in ${where}`);
    }
    const hash = await server.api('POST', 'sys/audit-hash/file', { input: canaries[0] }, root);
    assert.match(hash.body.data.hash, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.ok(audit.includes(hash.body.data.hash), 'sys/audit-hash reproduces the logged HMAC');
    assert.equal((await server.api('DELETE', 'sys/audit/file', undefined, root)).status, 204);
  });

  test('E5: a refused request has a request entry and a response entry, sharing its id, both with the error', async () => {
    const auditFile = join(server.dir, 'refusals.log');
    const enable = await server.api(
      'PUT',
      'sys/audit/refusals',
      { type: 'file', options: { file_path: auditFile } },
      root,
    );
    assert.equal(enable.status, 204, enable.text);
    const limited = await server.api('POST', 'auth/token/create', { policies: ['default'] }, root);
    const token: string = limited.body.auth.client_token;
    const refusals: [string | undefined, string][] = [
      [undefined, 'secret/data/no-token'],
      ['hvs.not-a-real-token', 'secret/data/bad-token'],
      [token, 'secret/data/not-allowed'],
    ];
    for (const [as, path] of refusals)
      assert.equal((await server.api('GET', path, undefined, as)).status, 403);
    assert.equal((await server.api('DELETE', 'sys/audit/refusals', undefined, root)).status, 204);
    const entries = (await readFile(auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    for (const [, path] of refusals) {
      const about = entries.filter((entry) => entry.request?.path === path);
      assert.deepEqual(
        about.map((entry) => entry.type),
        ['request', 'response'],
        `${path}: ${JSON.stringify(about)}`,
      );
      assert.equal(about[0].request.id, about[1].request.id);
      assert.match(about[0].error, /permission denied/);
      assert.equal(about[1].error, about[0].error);
    }
  });

  test("audited request headers: configured ones are in both entries, HMAC'd where asked; others never", async () => {
    const base = 'sys/config/auditing/request-headers';
    assert.equal((await server.api('PUT', `${base}/X-Custom`, { hmac: false }, root)).status, 204);
    assert.equal((await server.api('PUT', `${base}/x-secret`, { hmac: true }, root)).status, 204);
    const listed = await server.api('GET', base, undefined, root);
    assert.deepEqual(listed.body.data.headers, { 'x-custom': { hmac: false }, 'x-secret': { hmac: true } });
    assert.deepEqual((await server.api('GET', `${base}/X-Secret`, undefined, root)).body.data, {
      'X-Secret': { hmac: true },
    });
    const auditFile = join(server.dir, 'headers.log');
    await server.api('PUT', 'sys/audit/headers', { type: 'file', options: { file_path: auditFile } }, root);
    await server.api('GET', 'secret/data/headers', undefined, root, {
      'X-Custom': 'plain-value',
      'X-Secret': 'secret-value',
      'X-Other': 'not-configured',
    });
    assert.equal((await server.api('DELETE', 'sys/audit/headers', undefined, root)).status, 204);
    const text = await readFile(auditFile, 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.request?.path === 'secret/data/headers');
    assert.deepEqual(
      entries.map((entry) => entry.type),
      ['request', 'response'],
    );
    for (const entry of entries) {
      assert.equal(entry.request.remote_address, '127.0.0.1');
      assert.ok(Number.isInteger(entry.request.remote_port) && entry.request.remote_port > 0, 'remote_port');
      assert.deepEqual(entry.request.headers['x-custom'], ['plain-value']);
      assert.match(entry.request.headers['x-secret'][0], /^hmac-sha256:[0-9a-f]{64}$/);
      assert.equal(entry.request.headers['x-other'], undefined);
    }
    assert.ok(!text.includes('secret-value'), "the HMAC'd header never in clear");
    assert.equal((await server.api('DELETE', `${base}/x-custom`, undefined, root)).status, 204);
    const missing = await server.api('GET', `${base}/x-custom`, undefined, root);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['Could not find header in config']);
    await server.api('DELETE', `${base}/x-secret`, undefined, root);
  });

  test('a request that no device can record is refused and does not run', async () => {
    const sockets = new Set<Socket>();
    const sink: Server = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    const enable = await server.api(
      'PUT',
      'sys/audit/net',
      { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp', write_timeout: '1s' } },
      root,
    );
    assert.equal(enable.status, 204, enable.text);
    assert.equal((await server.api('POST', 'secret/data/audited', { data: { v: 1 } }, root)).status, 200);
    const closed = new Promise<void>((resolve) => sink.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
    const refused = await server.api('POST', 'secret/data/unaudited', { data: { v: 1 } }, root);
    assert.equal(refused.status, 500);
    assert.deepEqual(refused.body.errors, ['1 error occurred:\n\t* internal error\n\n']);
    // Disabling the device is itself a request that cannot be audited; ask after it is gone instead.
    await server.api('DELETE', 'sys/audit/net', undefined, root);
    const listed = await server.api('GET', 'sys/audit', undefined, root);
    if (listed.status === 200 && Object.keys(listed.body.data).length === 0) {
      assert.equal(
        (await server.api('GET', 'secret/data/unaudited', undefined, root)).status,
        404,
        'the refused write never ran',
      );
    }
  });
});

describe('expiry across a restart', () => {
  test('a 3 s token expires while the server is down; after unseal it and its children are revoked', async () => {
    const first = await startTestServer({ storage: 'sqlite' });
    const root = first.rootToken;
    try {
      const maker = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n';
      await first.api('PUT', 'sys/policies/acl/maker', { policy: maker }, root);
      const parent = (await first.api('POST', 'auth/token/create', { policies: ['maker'], ttl: '3s' }, root))
        .body.auth;
      const children: string[] = [];
      for (let i = 0; i < 3; i++) {
        const child = await first.api(
          'POST',
          'auth/token/create',
          { policies: ['default'], ttl: '1h' },
          parent.client_token,
        );
        assert.equal(child.status, 200, child.text);
        children.push(child.body.auth.accessor);
      }
      await first.stop();
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const second = await restartOnSameStorage(first);
      try {
        await second.unseal();
        let alive = children.length + 1;
        let survivors: string[] = [];
        // Until every token is gone, or 30 s: a loaded CI machine once needed more than the ~10 s of
        // a hundred 100 ms rounds.
        const deadline = performance.now() + 30_000;
        while (alive > 0 && performance.now() < deadline) {
          alive = 0;
          survivors = [];
          for (const accessor of [parent.accessor, ...children]) {
            const res = await second.api('POST', 'auth/token/lookup-accessor', { accessor }, root);
            if (res.status === 200) {
              alive++;
              survivors.push(`${accessor === parent.accessor ? 'parent' : 'child'} ${res.text}`);
            }
          }
          if (alive > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(
          alive,
          0,
          `the expired parent and its longer-lived children are all revoked\n${survivors.join('\n')}\n${second.output()}`,
        );
      } finally {
        await second.stop();
      }
    } finally {
      await removeServerDir(first);
    }
  });
});
