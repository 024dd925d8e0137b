/** The HTTP layer as clients meet it: LIST over raw sockets, status codes, limits and path canonicalisation. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange, statuses } from './helpers/raw-http.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

describe('the HTTP wire', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer({ storage: 'inmem' });
    token = server.rootToken;
    for (const name of ['alpha', 'beta']) {
      await server.api(
        'PUT',
        `sys/policies/acl/${name}`,
        { policy: 'path "x/*" {\n  capabilities = ["read"]\n}\n' },
        token,
      );
    }
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('LIST and GET ?list=true give the same keys', async () => {
    const viaVerb = await server.api('LIST', 'sys/policies/acl', undefined, token);
    const viaQuery = await server.api('GET', 'sys/policies/acl?list=true', undefined, token);
    assert.equal(viaVerb.status, 200);
    assert.deepEqual(viaVerb.body.data.keys, viaQuery.body.data.keys);
    assert.ok(viaVerb.body.data.keys.includes('alpha'));
    assert.equal((await server.api('GET', 'sys/policies/acl?list=maybe', undefined, token)).status, 400);
  });

  test('pipelined LIST, GET and POST on one keep-alive socket', async () => {
    const host = new URL(server.address).host;
    const body = JSON.stringify({
      policy: 'path "LIST /v1/sys/policies/acl HTTP/1.1" {\n  capabilities = ["read"]\n}\n',
    });
    const raw = await rawExchange(
      server.address,
      `LIST /v1/sys/policies/acl HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${token}\r\n\r\n` +
        `GET /v1/sys/policies/acl/alpha HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${token}\r\n\r\n` +
        `POST /v1/sys/policies/acl/gamma HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        `LIST /v1/sys/policies/acl/ HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${token}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    );
    assert.deepEqual(statuses(raw), [200, 200, 204, 200]);
    assert.match(raw, /"alpha"/);
    const after = await server.api('LIST', 'sys/policies/acl', undefined, token);
    assert.ok(after.body.data.keys.includes('gamma'), 'the pipelined POST was applied');
  });

  test('an unknown method is 405 with an empty error list', async () => {
    const host = new URL(server.address).host;
    const raw = await rawExchange(
      server.address,
      `FROB /v1/sys/policies/acl HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    );
    assert.deepEqual(statuses(raw), [405]);
    assert.match(raw, /\{"errors":\[\]\}/);
  });

  const pathCases = [
    { name: 'dot-dot segment', path: '/v1/sys/../sys/policy' },
    { name: 'encoded dot-dot', path: '/v1/sys/%2e%2e/sys/policy' },
    { name: 'double slash', path: '/v1/sys//policy' },
    { name: 'dot segment', path: '/v1/sys/./policy' },
    { name: 'encoded NUL', path: '/v1/sys/policy%00' },
    { name: 'backslash', path: '/v1/sys\\policy' },
    { name: 'over-long UTF-8 dot', path: '/v1/sys/%c0%ae%c0%ae/policy' },
  ];
  for (const c of pathCases) {
    test(`a path with a ${c.name} is refused with 400`, async () => {
      const host = new URL(server.address).host;
      const raw = await rawExchange(
        server.address,
        `GET ${c.path} HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${token}\r\n\r\n`,
      );
      assert.deepEqual(statuses(raw), [400]);
    });
  }

  test('no token, unknown token and a denied path', async () => {
    const none = await server.api('GET', 'sys/policy');
    assert.equal(none.status, 403);
    assert.deepEqual(none.body.errors, ['permission denied']);
    const unknown = await server.api('GET', 'sys/policy', undefined, 'hvs.unknownunknownunknown1');
    assert.equal(unknown.status, 403);
    assert.deepEqual(unknown.body.errors, [
      '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n',
    ]);
    const bearer = await server.api('GET', 'sys/policy', undefined, undefined, {
      Authorization: `Bearer ${token}`,
    });
    assert.equal(bearer.status, 200);
  });

  test('envelope shape and top-level copy on sys/policy', async () => {
    const res = await server.api('GET', 'sys/policy', undefined, token);
    for (const key of [
      'request_id',
      'lease_id',
      'renewable',
      'lease_duration',
      'data',
      'wrap_info',
      'warnings',
      'auth',
    ]) {
      assert.ok(key in res.body, `envelope has ${key}`);
    }
    assert.deepEqual(res.body.keys, res.body.data.keys);
  });

  test('no mount, no route, wrong operation', async () => {
    const noMount = await server.api('GET', 'nothing/here', undefined, token);
    assert.equal(noMount.status, 404);
    assert.match(noMount.body.errors[0], /no handler for route "nothing\/here"/);
    assert.equal((await server.api('DELETE', 'sys/key-status', undefined, token)).status, 405);
    assert.equal((await server.api('PATCH', 'sys/policy/alpha', {}, token)).status, 415);
  });

  test('bare statuses: PATCH of a missing KV key is 404 with no body; an async lease revoke is 202', async () => {
    await server.api('POST', 'sys/mounts/wire-kv', { type: 'kv', options: { version: '2' } }, token);
    const patch = await server.api('PATCH', 'wire-kv/data/nothing', { data: { a: 1 } }, token, {
      'Content-Type': 'application/merge-patch+json',
    });
    assert.equal(patch.status, 404);
    assert.equal(patch.text, '', 'API.md 5.2: no key -> 404 with an empty body');
    const revoke = await server.api(
      'PUT',
      'sys/leases/revoke',
      { lease_id: 'wire-kv/nothing/abc', sync: false },
      token,
    );
    assert.equal(revoke.status, 202, revoke.text);
  });

  test('a wrapped answer carries only wrap_info: no lease fields or warnings of the answer it wraps', async () => {
    await server.api('POST', 'sys/mounts/wire-v1', { type: 'kv-v1' }, token);
    await server.api('POST', 'wire-v1/leased', { value: 'v', ttl: '1h' }, token);
    const plain = await server.api('GET', 'wire-v1/leased', undefined, token);
    assert.equal(plain.body.lease_duration, 3600);
    const wrapped = await server.api('GET', 'wire-v1/leased', undefined, token, { 'X-Vault-Wrap-TTL': '60' });
    assert.equal(wrapped.status, 200, wrapped.text);
    const { wrap_info, ...envelope } = wrapped.body;
    assert.ok(wrap_info.token);
    assert.deepEqual(
      { ...envelope },
      {
        request_id: '',
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: null,
        warnings: null,
        auth: null,
        mount_type: '',
      },
    );
    const unwrapped = await server.api('POST', 'sys/wrapping/unwrap', undefined, wrap_info.token);
    assert.equal(unwrapped.body.lease_duration, 3600, 'the lease is inside the wrapped answer');
  });

  test('a body over the limit is 413 and a deeply nested one is 400', async () => {
    const huge = `{"policy":"${'a'.repeat(33 << 20)}"}`;
    const tooBig = await server.api('PUT', 'sys/policy/huge', huge, token);
    assert.equal(tooBig.status, 413);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const nested = await server.api('PUT', 'sys/policy/deep', `{"policy":${deep}}`, token);
    assert.equal(nested.status, 400);
    assert.match(nested.body.errors[0], /high complexity/);
    assert.equal((await server.api('PUT', 'sys/policy/bad', '{"policy":', token)).status, 400);
    assert.equal((await server.api('GET', 'sys/health')).status, 200, 'the server is still up');
  });
});

describe('oversized requests (SECURITY.md F3)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ storage: 'inmem' });
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('an 80 KB URL and 10,000 headers get 431 and the connection closes; the listener keeps serving', async () => {
    const longUrl = `GET /v1/secret/${'a'.repeat(80 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const manyHeaders = `GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n${Array.from(
      { length: 10_000 },
      (_, i) => `X-H${i}: v\r\n`,
    ).join('')}\r\n`;
    for (const request of [longUrl, manyHeaders]) {
      const raw = await rawExchange(server.address, request);
      assert.deepEqual(statuses(raw), [431], raw.slice(0, 200));
      assert.match(raw, /Connection: close/);
    }
    assert.equal((await server.api('GET', 'sys/health')).status, 200);
  });
});

describe('slow clients (SECURITY.md F3)', () => {
  test('a slowloris connection is closed with 408 after http_read_header_timeout; others are served meanwhile', async () => {
    const server = await startTestServer({
      storage: 'inmem',
      listenerOptions: { http_read_header_timeout: '1s' },
    });
    try {
      const { port, hostname } = new URL(server.address);
      const started = performance.now();
      const socket = connect(Number(port), hostname);
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      const closed = new Promise<boolean>((resolve) => {
        socket.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 6000);
      });
      // One header byte a quarter second: the headers never end.
      const drip = setInterval(() => socket.write('X'), 250);
      socket.write('GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const health = await server.api('GET', 'sys/health');
      assert.equal(health.status, 200, 'served while the slow client holds its connection');
      const wasClosed = await closed;
      clearInterval(drip);
      socket.destroy();
      assert.ok(wasClosed, 'still open after 6 s');
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout/);
      assert.ok(performance.now() - started < 4000);
    } finally {
      await server.stop();
      await removeServerDir(server);
    }
  });
});
