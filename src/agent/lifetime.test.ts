import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../client/errors.js';
import { graceMs, type TokenLifetime, watchLifetime } from './lifetime.js';

/** Answers the renewals in order (an Error is thrown) and records when each was asked for, in ms. */
function scenario(renewals: (TokenLifetime | Error)[]) {
  const calls: number[] = [];
  const started = Date.now();
  let index = 0;
  const renew = async () => {
    calls.push(Date.now() - started);
    const next = renewals[Math.min(index++, renewals.length - 1)];
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, renew };
}

test('grace is 10-20% of the lease', () => {
  assert.equal(
    graceMs(3000, () => 0),
    300,
  );
  assert.equal(
    graceMs(3000, () => 0.999),
    599,
  );
  assert.equal(
    graceMs(0, () => 0.5),
    0,
  );
});

test('a renewable token is renewed at about 2/3 of its TTL, and handed back once the max TTL stops renewals', async () => {
  // A 0.6 s token whose max TTL is reached at the third renewal (the TTL shrinks instead of being extended).
  const { calls, renew } = scenario([
    { leaseSeconds: 0.6, renewable: true },
    { leaseSeconds: 0.6, renewable: true },
    { leaseSeconds: 0.1, renewable: true },
  ]);
  const end = await watchLifetime({
    initial: { leaseSeconds: 0.6, renewable: true },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
  });
  assert.equal(end, 'expiring');
  assert.equal(calls.length, 3);
  // Renewed at once, then after 2/3 of 600 ms plus a third of the 60 ms grace (420 ms).
  assert.ok(calls[1] - calls[0] >= 400 && calls[1] - calls[0] < 600, `${calls[1] - calls[0]} ms`);
});

const refused = (status: number) =>
  new ApiError({
    method: 'PUT',
    url: 'http://x/v1/auth/token/renew-self',
    status,
    errors: ['permission denied'],
  });

test('a refused renewal (a revoked token: 403) hands back at once', async () => {
  const { renew } = scenario([refused(403)]);
  const errors: unknown[] = [];
  const end = await watchLifetime({
    initial: { leaseSeconds: 60, renewable: true },
    renew,
    signal: new AbortController().signal,
    onRenewalError: (error) => errors.push(error),
  });
  assert.equal(end, 'renewal failed');
  assert.equal(errors.length, 1);
});

test('a non-renewable token is never renewed and is handed back before it expires', async () => {
  const { calls, renew } = scenario([{ leaseSeconds: 1, renewable: true }]);
  const started = Date.now();
  const end = await watchLifetime({
    initial: { leaseSeconds: 1, renewable: false },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
  });
  const took = Date.now() - started;
  assert.equal(end, 'expiring');
  assert.equal(calls.length, 0);
  assert.ok(took >= 600 && took < 1000, `handed back after ${took} ms`);
});

test('stopping ends the watch', async () => {
  const controller = new AbortController();
  const watching = watchLifetime({
    initial: { leaseSeconds: 0, renewable: false },
    renew: async () => ({ leaseSeconds: 0, renewable: false }),
    signal: controller.signal,
  });
  controller.abort();
  assert.equal(await watching, 'stopped');
});

test('a renewal that could not be made (server down, 5xx) is retried, not answered with a new login', async () => {
  // Two failures (a refused connection, a 503), then the server is back.
  const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8200'), { code: 'ECONNREFUSED' });
  const { calls, renew } = scenario([down, refused(503), { leaseSeconds: 60, renewable: true }]);
  const controller = new AbortController();
  const errors: unknown[] = [];
  const watching = watchLifetime({
    initial: { leaseSeconds: 60, renewable: true },
    renew,
    signal: controller.signal,
    random: () => 0,
    retryMs: 20,
    onRenewalError: (error) => errors.push(error),
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  controller.abort();
  assert.equal(await watching, 'stopped', 'still watching the same token');
  assert.equal(errors.length, 2);
  assert.equal(calls.length, 3);
});

test('renewals that keep failing hand back when the grace period is reached, not before', async () => {
  const { calls, renew } = scenario([refused(502)]);
  const started = Date.now();
  const end = await watchLifetime({
    initial: { leaseSeconds: 1, renewable: true },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
    retryMs: 50,
  });
  const took = Date.now() - started;
  assert.equal(end, 'expiring');
  assert.ok(calls.length >= 3, `${calls.length} attempts`);
  // Grace is 100 ms of the 1 s lease.
  assert.ok(took >= 850 && took < 1000, `handed back after ${took} ms`);
});
