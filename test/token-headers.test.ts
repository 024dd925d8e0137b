/**
 * SECURITY.md A7: how a token reaches the server. `X-Vault-Token` wins over `Authorization: Bearer`
 * (as in Vault), and every bad token is an opaque 403, never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawExchange, statuses } from './helpers/raw-http.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

describe('token headers', () => {
  let server: TestServer;
  let root: string;
  before(async () => {
    server = await startTestServer();
    root = server.rootToken;
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  const deniedBody = (body: { errors: string[] }) => {
    assert.equal(body.errors.length, 1);
    assert.match(body.errors[0], /permission denied/);
  };

  test('X-Vault-Token takes precedence over Authorization: Bearer', async () => {
    const good = await server.api('GET', 'sys/policy', undefined, root, {
      Authorization: 'Bearer hvs.bogus',
    });
    assert.equal(good.status, 200);
    const bad = await server.api('GET', 'sys/policy', undefined, 'hvs.bogus', {
      Authorization: `Bearer ${root}`,
    });
    assert.equal(bad.status, 403, 'no fallback to the other header');
    deniedBody(bad.body);
    const otherScheme = await server.api('GET', 'sys/policy', undefined, undefined, {
      Authorization: `Basic ${root}`,
    });
    assert.equal(otherScheme.status, 403);
  });

  test('unknown prefixes, revoked tokens, accessors and forged batch tokens get 403', async () => {
    const child = (await server.api('POST', 'auth/token/create', { policies: ['default'] }, root)).body.auth;
    const batch = (
      await server.api('POST', 'auth/token/create', { type: 'batch', policies: ['default'] }, root)
    ).body.auth.client_token as string;
    await server.api('POST', 'auth/token/revoke', { token: child.client_token }, root);
    const forged = `${batch.slice(0, -4)}${batch.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const token of ['xyz.abcdef', child.client_token, child.accessor, forged, 'hvs.', 'root']) {
      const res = await server.api('GET', 'auth/token/lookup-self', undefined, token);
      assert.equal(res.status, 403, `token ${token.slice(0, 8)}…: ${res.text}`);
      deniedBody(res.body);
    }
  });

  test('a 64 KB token is refused before any lookup, and the server stays up', async () => {
    const host = new URL(server.address).host;
    const huge = `hvs.${'a'.repeat(64 * 1024)}`;
    const raw = await rawExchange(
      server.address,
      `GET /v1/sys/policy HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${huge}\r\n\r\n`,
    );
    const [status] = statuses(raw);
    assert.equal(status, 431);
    assert.equal((await server.api('GET', 'sys/health')).status, 200);
  });

  test('a token header carrying CR/LF cannot smuggle a second header or request', async () => {
    const host = new URL(server.address).host;
    const raw = await rawExchange(
      server.address,
      `GET /v1/auth/token/lookup-self HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${root}\r\n X-Vault-Wrap-TTL: 60\r\n\r\n`,
    );
    const codes = statuses(raw);
    assert.equal(codes.length, 1);
    assert.ok(codes[0] === 400 || codes[0] === 403, `got ${codes[0]}`);
    assert.doesNotMatch(raw, /wrap_info":\{/);
    const bare = await rawExchange(
      server.address,
      `GET /v1/auth/token/lookup-self HTTP/1.1\r\nHost: ${host}\r\nX-Vault-Token: ${root}\rX-Other: 1\r\n\r\n`,
    );
    assert.ok([400, 403].includes(statuses(bare)[0]), bare.slice(0, 40));
  });

  test('a failed login mints no token', async () => {
    await server.api('POST', 'sys/auth/userpass', { type: 'userpass' }, root);
    await server.api(
      'POST',
      'auth/userpass/users/alice',
      { password: 'right-password', policies: 'default' },
      root,
    );
    const before = (await server.api('LIST', 'auth/token/accessors', undefined, root)).body.data.keys.length;
    const res = await server.api('POST', 'auth/userpass/login/alice', { password: 'wrong-password' });
    assert.equal(res.status, 400);
    assert.equal(res.body.auth, undefined);
    const afterCount = (await server.api('LIST', 'auth/token/accessors', undefined, root)).body.data.keys
      .length;
    assert.equal(afterCount, before);
  });
});
