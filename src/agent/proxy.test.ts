import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../framework/log.js';
import { createProxyHandler, type ProxyOptions } from './proxy.js';
import { staticTokenSource } from './token-source.js';

/** A stand-in server that answers with the token and body it received. */
let upstream: http.Server;
let upstreamAddress = '';
const agents: http.Agent[] = [];

before(async () => {
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const answer = JSON.stringify({ token: req.headers['x-vault-token'] ?? null, body, url: req.url });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamAddress = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

after(() => {
  for (const agent of agents) agent.destroy();
  upstream.close();
});

async function withProxy(
  options: Partial<ProxyOptions>,
  run: (address: string) => Promise<void>,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  agents.push(agent);
  const proxy = http.createServer(
    createProxyHandler({
      upstream: { address: upstreamAddress, agent: () => agent, numRetries: 0 },
      tokens: staticTokenSource('hvs.agent'),
      useAutoAuthToken: false,
      requireRequestHeader: false,
      maxRequestBytes: 64,
      log: silentLogger,
      ...options,
    }),
  );
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  } finally {
    proxy.closeAllConnections();
    proxy.close();
  }
}

async function tokenSeen(address: string, headers: Record<string, string> = {}): Promise<string | null> {
  const res = await fetch(`${address}/v1/secret/data/x?version=2`, { headers });
  return (await res.json()).token;
}

describe('the API proxy', () => {
  const cases = [
    { name: 'off: no token is added', mode: false, headers: {}, token: null },
    { name: 'on: a plain request gets the agent token', mode: true, headers: {}, token: 'hvs.agent' },
    {
      name: 'on: the caller token is kept',
      mode: true,
      headers: { 'X-Vault-Token': 'hvs.caller' },
      token: 'hvs.caller',
    },
    {
      name: 'on: a Bearer token counts as the caller token',
      mode: true,
      headers: { Authorization: 'Bearer hvs.caller' },
      token: null,
    },
    {
      name: 'force: the agent token replaces the caller token',
      mode: 'force',
      headers: { 'X-Vault-Token': 'hvs.caller' },
      token: 'hvs.agent',
    },
  ] as const;
  for (const c of cases) {
    test(`use_auto_auth_token ${c.name}`, async () => {
      await withProxy({ useAutoAuthToken: c.mode }, async (address) => {
        assert.equal(await tokenSeen(address, c.headers), c.token);
      });
    });
  }

  test('the path, query and body are forwarded as sent', async () => {
    await withProxy({}, async (address) => {
      const res = await fetch(`${address}/v1/kv/data/a%2Fb?list=true`, { method: 'POST', body: '{"a":1}' });
      assert.deepEqual(await res.json(), {
        token: null,
        body: '{"a":1}',
        url: '/v1/kv/data/a%2Fb?list=true',
      });
    });
  });

  test('require_request_header: 412 without exactly "X-Vault-Request: true"', async () => {
    await withProxy({ requireRequestHeader: true, useAutoAuthToken: true }, async (address) => {
      const missing = await fetch(`${address}/v1/sys/health`);
      assert.equal(missing.status, 412);
      assert.deepEqual(await missing.json(), { errors: ['missing "X-Vault-Request" header'] });
      assert.equal(
        (await fetch(`${address}/v1/sys/health`, { headers: { 'X-Vault-Request': 'yes' } })).status,
        412,
      );
      assert.equal(
        (await fetch(`${address}/v1/sys/health`, { headers: { 'X-Vault-Request': 'true' } })).status,
        200,
      );
    });
  });

  test('a body over the limit gets 413 and never reaches the server', async () => {
    await withProxy({}, async (address) => {
      const res = await fetch(`${address}/v1/x`, { method: 'PUT', body: 'x'.repeat(65) });
      assert.equal(res.status, 413);
    });
  });

  test('an unreachable server gets a 502 that names no address', async () => {
    const agent = new http.Agent();
    agents.push(agent);
    await withProxy(
      { upstream: { address: 'http://127.0.0.1:1', agent: () => agent, numRetries: 0 } },
      async (address) => {
        const res = await fetch(`${address}/v1/sys/health`);
        assert.equal(res.status, 502);
        assert.doesNotMatch(await res.text(), /127\.0\.0\.1/);
      },
    );
  });
});

test('binary request and response bodies pass through the proxy byte for byte (e.g. a DER certificate)', async () => {
  // Bytes that are not valid UTF-8: decoding them as text would replace them with U+FFFD.
  const bytes = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0x80]);
  const binary = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = Buffer.concat(chunks);
      res.writeHead(200, {
        'Content-Type': 'application/pkix-cert',
        'X-Received': received.toString('hex'),
      });
      res.end(bytes);
    });
  });
  await new Promise<void>((resolve) => binary.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true });
  agents.push(agent);
  try {
    const address = `http://127.0.0.1:${(binary.address() as AddressInfo).port}`;
    await withProxy({ upstream: { address, agent: () => agent, numRetries: 0 } }, async (proxy) => {
      const res = await fetch(`${proxy}/v1/pki/ca`, { method: 'PUT', body: bytes });
      assert.equal(res.status, 200);
      assert.equal(
        res.headers.get('x-received'),
        bytes.toString('hex'),
        'the request body arrives unchanged',
      );
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes, 'the response body comes back unchanged');
    });
  } finally {
    binary.close();
  }
});
