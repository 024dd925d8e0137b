import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { percentiles, runLoad } from './load.js';

test('percentiles are nearest-rank and keep fractions of a millisecond', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => (i + 1) / 10); // 0.1 .. 10.0 ms, shuffled below
  hundred.reverse();
  assert.deepEqual(percentiles(hundred), { p50: 5, p99: 9.9 });
  assert.deepEqual(percentiles([0.42]), { p50: 0.42, p99: 0.42 });
  assert.deepEqual(percentiles([]), { p50: 0, p99: 0 });
});

test('runLoad times each response itself: a fast local server gets a sub-millisecond p50, not 0', async () => {
  const server = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const result = await runLoad({ url: `http://127.0.0.1:${port}/`, connections: 2, durationSeconds: 1 });
    assert.equal(result.errors, 0);
    assert.ok(result.rps > 0);
    // autocannon's own histogram floors to whole milliseconds and would say 0 here.
    assert.ok(result.p50 > 0 && result.p50 < 50, `p50 ${result.p50}`);
    assert.ok(result.p99 >= result.p50);
    assert.ok(result.meanMs !== undefined && result.meanMs > 0);
  } finally {
    server.close();
  }
});

test("runLoad's request chains carry an answer to the connection's next request (pg-creds' lease id)", async () => {
  // Issues an id on GET, and on PUT fails unless the body names the id this connection was given.
  let issued = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.end(JSON.stringify({ lease_id: `lease-${++issued}` }));
      return;
    }
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const id = JSON.parse(body).lease_id as string;
      res.statusCode = /^lease-\d+$/.test(id) ? 204 : 400;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    type Context = { leaseId?: string };
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/`,
      connections: 2,
      durationSeconds: 1,
      requests: [
        {
          method: 'GET',
          path: '/creds',
          onResponse: (_status, body, context) => {
            (context as Context).leaseId = JSON.parse(body).lease_id;
          },
        },
        {
          method: 'PUT',
          path: '/revoke',
          setupRequest: (request, context) => ({
            ...request,
            body: JSON.stringify({ lease_id: (context as Context).leaseId ?? '' }),
          }),
        },
      ],
    });
    assert.ok(issued > 0);
    assert.equal(result.errors, 0); // every PUT named an issued id: a 400 would count as an error
    assert.ok(result.p50 > 0 && result.p50 < 50, `p50 ${result.p50}`);
  } finally {
    server.close();
  }
});
