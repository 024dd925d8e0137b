/**
 * A standby over HTTP, two nodes in this process on the fake HA lock: health 429 (200 with standbyok),
 * sys/leader naming the active node, logical requests proxied to it, or a 307 to it on request.
 */
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startTwoNodes } from '../core/ha/testing.js';
import { kvEngine } from '../engines/kv/index.js';
import { silentLogger } from '../framework/log.js';
import { createHandler } from './handler.js';

let nodes: Awaited<ReturnType<typeof startTwoNodes>>;
const servers: Server[] = [];
const addresses = ['', ''];

/** Each node's request handler, behind its listener: a test may swap one for a while. */
const handlers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];

before(async () => {
  // Listening first: each lock records its node's address when the node unseals.
  for (const i of [0, 1]) {
    const server = createServer((req, res) => handlers[i](req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    addresses[i] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }
  nodes = await startTwoNodes({
    engines: [kvEngine],
    ttlMs: 3000,
    apiAddrs: [() => addresses[0], () => addresses[1]],
  });
  for (const core of [nodes.a.core, nodes.b])
    handlers.push(createHandler(core, { maxRequestBytes: 1 << 20, log: silentLogger }));
});

after(() => {
  for (const server of servers) server.close();
});

const call = (
  node: 0 | 1,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  fetch(`${addresses[node]}/v1/${path}`, {
    method,
    redirect: 'manual',
    headers: { 'X-Vault-Token': nodes.token, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

test('sys/health: 200 on the active node, 429 on the standby, 200 there with standbyok', async () => {
  assert.equal((await call(0, 'GET', 'sys/health')).status, 200);
  const standby = await call(1, 'GET', 'sys/health');
  assert.equal(standby.status, 429);
  assert.equal((await standby.json()).standby, true);
  assert.equal((await call(1, 'GET', 'sys/health?standbyok=true')).status, 200);
  assert.equal((await call(1, 'GET', 'sys/health?standbycode=299')).status, 299);
  const status = await (await call(1, 'GET', 'sys/seal-status')).json();
  assert.equal(status.sealed, false);
});

test('sys/leader on both nodes names the active one', async () => {
  const active = await (await call(0, 'GET', 'sys/leader')).json();
  assert.equal(active.ha_enabled, true);
  assert.equal(active.is_self, true);
  assert.equal(active.leader_address, addresses[0]);
  assert.notEqual(active.active_time, '0001-01-01T00:00:00Z');
  const standby = await (await call(1, 'GET', 'sys/leader')).json();
  assert.deepEqual(
    [standby.ha_enabled, standby.is_self, standby.leader_address, standby.active_time],
    [true, false, addresses[0], '0001-01-01T00:00:00Z'],
  );
});

test('the standby forwards a write to the active node, which serves it', async () => {
  assert.equal(
    (await call(0, 'POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } })).status,
    204,
  );
  const write = await call(1, 'POST', 'kv/data/app', { data: { color: 'blue' } });
  assert.equal(write.status, 200);
  const read = await call(0, 'GET', 'kv/data/app');
  assert.equal((await read.json()).data.data.color, 'blue');
  // A read through the standby too, with the active node's 404 passed on as it is.
  assert.equal((await call(1, 'GET', 'kv/data/missing')).status, 404);
});

test('with X-Vault-No-Request-Forwarding the standby answers 307 to the active node', async () => {
  const answer = await call(1, 'GET', 'kv/data/app?version=1', undefined, {
    'X-Vault-No-Request-Forwarding': 'true',
  });
  assert.equal(answer.status, 307);
  assert.equal(answer.headers.get('location'), `${addresses[0]}/v1/kv/data/app?version=1`);
});

test('sys/seal sent to the standby is refused as Vault does, never forwarded to seal the active node', async () => {
  const answer = await call(1, 'POST', 'sys/seal');
  assert.equal(answer.status, 500);
  assert.deepEqual((await answer.json()).errors, [
    'vault cannot seal when in standby mode; please restart instead',
  ]);
  assert.equal(nodes.a.core.isSealed(), false);
  assert.equal(nodes.b.isStandby(), true);
});

test('sys/health: an empty standbyok is false, as Vault reads it, so the standby still answers 429', async () => {
  assert.equal((await call(1, 'GET', 'sys/health?standbyok')).status, 429);
  assert.equal((await call(1, 'GET', 'sys/health?standbyok=')).status, 429);
  assert.equal((await call(1, 'GET', 'sys/health?standbyok=false')).status, 429);
  assert.equal((await call(1, 'GET', 'sys/health?standbyok=1')).status, 200);
});

test("the active node's hop-by-hop headers stay on its connection: a client that asks to close gets close", async () => {
  const answer = await new Promise<IncomingMessage>((resolve, reject) =>
    get(
      `${addresses[1]}/v1/kv/data/app`,
      { headers: { 'X-Vault-Token': nodes.token, Connection: 'close' }, agent: false },
      resolve,
    ).once('error', reject),
  );
  answer.resume();
  assert.equal(answer.statusCode, 200);
  assert.equal(answer.headers.connection, 'close');
  assert.equal(answer.headers['keep-alive'], undefined);
});

test('an active node that goes silent: the forwarded request is given up after max_request_duration and redirected', async () => {
  const answering = handlers[0];
  const held: ServerResponse[] = [];
  handlers[0] = (_req, res) => held.push(res); // the active node stops answering, its lock still held
  const impatient = createServer(
    createHandler(nodes.b, { maxRequestBytes: 1 << 20, maxRequestDurationMs: 300, log: silentLogger }),
  );
  await new Promise<void>((resolve) => impatient.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    const answer = await fetch(
      `http://127.0.0.1:${(impatient.address() as AddressInfo).port}/v1/kv/data/app`,
      {
        redirect: 'manual',
        headers: { 'X-Vault-Token': nodes.token },
        signal: AbortSignal.timeout(10_000),
      },
    );
    assert.equal(answer.status, 307, 'the request that could not be forwarded falls back to the redirect');
    assert.equal(answer.headers.get('location'), `${addresses[0]}/v1/kv/data/app`);
    assert.ok(Date.now() - started < 5000, 'given up near max_request_duration, not left hanging');
  } finally {
    handlers[0] = answering;
    for (const res of held) res.destroy();
    await new Promise((resolve) => impatient.close(resolve));
  }
});
