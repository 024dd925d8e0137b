import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitQuota, type RateLimitQuotaSpec } from './rate-limit-quota.js';

const T0 = Date.UTC(2026, 0, 1);

function quota(
  overrides: Partial<RateLimitQuotaSpec> = {},
  limits = { maxClients: 100, sweepEveryMs: 60_000 },
) {
  const spec = {
    name: 'q',
    mountPath: '',
    pathSuffix: '',
    rate: 10,
    intervalSeconds: 1,
    blockIntervalSeconds: 0,
  };
  return new RateLimitQuota({ ...spec, ...overrides }, limits);
}

function admitted(q: RateLimitQuota, client: string, count: number, now: number): number {
  let allowed = 0;
  for (let i = 0; i < count; i++) if (q.allow(client, now).allowed) allowed++;
  return allowed;
}

test('a 10/s quota admits 10 of 30 requests in one window, then refills in full at the boundary', () => {
  const q = quota();
  assert.equal(admitted(q, '10.0.0.1', 30, T0), 10);
  assert.equal(admitted(q, '10.0.0.1', 5, T0 + 999), 0, 'still the first window');
  assert.equal(admitted(q, '10.0.0.1', 30, T0 + 1000), 10, 'a new window');
});

test('the verdict carries the numbers behind the X-Ratelimit-* and Retry-After headers', () => {
  const q = quota({ rate: 3, intervalSeconds: 60 });
  assert.deepEqual(q.allow('c', T0), { allowed: true, limit: 3, remaining: 2, resetSeconds: 60 });
  assert.deepEqual(q.allow('c', T0 + 10_500), { allowed: true, limit: 3, remaining: 1, resetSeconds: 49 });
  q.allow('c', T0 + 10_500);
  assert.deepEqual(q.allow('c', T0 + 20_000), {
    allowed: false,
    limit: 3,
    remaining: 0,
    resetSeconds: 40,
    retryAfterSeconds: 40,
  });
});

test('the rate is rounded to whole requests, and is at least one', () => {
  assert.equal(quota({ rate: 2.6 }).tokens, 3);
  assert.equal(quota({ rate: 0.2 }).tokens, 1);
  assert.equal(admitted(quota({ rate: 0.2 }), 'c', 5, T0), 1);
});

test('each client address has its own window', () => {
  const q = quota({ rate: 2 });
  assert.equal(admitted(q, 'a', 5, T0), 2);
  assert.equal(admitted(q, 'b', 5, T0), 2);
});

test('block_interval: a client that goes over is refused until the block ends, windows or not', () => {
  const q = quota({ rate: 1, intervalSeconds: 1, blockIntervalSeconds: 60 });
  assert.equal(q.allow('c', T0).allowed, true);
  assert.deepEqual(q.allow('c', T0 + 100), {
    allowed: false,
    limit: 1,
    remaining: 0,
    resetSeconds: 0,
    retryAfterSeconds: 60,
  });
  // Its window refilled long ago, but the block holds; Vault then sends Retry-After alone.
  assert.deepEqual(q.allow('c', T0 + 30_100), { allowed: false, retryAfterSeconds: 30 });
  assert.equal(q.allow('other', T0 + 30_100).allowed, true, 'other clients are not blocked');
  assert.equal(q.allow('c', T0 + 60_100).allowed, true, 'the block is over');
});

test('memory is bounded: many client addresses never grow past the cap', () => {
  const q = quota({ rate: 1, blockIntervalSeconds: 60 }, { maxClients: 50, sweepEveryMs: 60_000 });
  for (let i = 0; i < 5000; i++) {
    q.allow(`10.0.${i >> 8}.${i & 255}`, T0 + i);
    q.allow(`10.0.${i >> 8}.${i & 255}`, T0 + i); // over the limit: blocked too
  }
  assert.ok(q.clients <= 100, `${q.clients} client entries`);
});

test('idle clients are swept: their entries go once their window is long over', () => {
  const q = quota({ rate: 1 }, { maxClients: 10_000, sweepEveryMs: 60_000 });
  for (let i = 0; i < 1000; i++) q.allow(`client-${i}`, T0);
  assert.equal(q.clients, 1000);
  q.allow('late', T0 + 2 * 60_000);
  assert.equal(q.clients, 1001, 'a window is kept for 3 minutes after it ends');
  q.allow('later', T0 + 4 * 60_000 + 2000);
  assert.equal(q.clients, 2, 'only the clients seen in the last minutes remain');
});

test('a long interval is not forgiven early by the sweep', () => {
  const q = quota({ rate: 1, intervalSeconds: 3600 }, { maxClients: 10, sweepEveryMs: 1000 });
  assert.equal(q.allow('c', T0).allowed, true);
  assert.equal(q.allow('c', T0 + 30 * 60_000).allowed, false, 'half an hour later, same window');
});
