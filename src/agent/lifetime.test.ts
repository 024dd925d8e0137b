import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../client/errors.js';
import { graceMs, type TokenLifetime, watchLifetime } from './lifetime.js';

/**
 * Answers the renewals in order (an Error is thrown) on a virtual clock: `sleep` moves it on at once, so
 * the waits are checked exactly and no test depends on how fast the machine runs. `calls` holds the
 * virtual time of each renewal, in ms.
 */
function scenario(renewals: (TokenLifetime | Error)[]) {
  let clock = 0;
  const calls: number[] = [];
  let index = 0;
  const renew = async () => {
    calls.push(clock);
    const next = renewals[Math.min(index++, renewals.length - 1)];
    if (next instanceof Error) throw next;
    return next;
  };
  const now = () => clock;
  const sleep = async (ms: number, signal: AbortSignal) => {
    if (signal.aborted) return false;
    clock += ms;
    return true;
  };
  return { calls, renew, now, sleep };
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
  const { calls, renew, now, sleep } = scenario([
    { leaseSeconds: 0.6, renewable: true },
    { leaseSeconds: 0.6, renewable: true },
    { leaseSeconds: 0.1, renewable: true },
  ]);
  const end = await watchLifetime({
    initial: { leaseSeconds: 0.6, renewable: true },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
    now,
    sleep,
  });
  assert.equal(end, 'expiring');
  assert.equal(calls.length, 3);
  // Renewed at once, then after 2/3 of 600 ms plus a third of the 60 ms grace (420 ms), twice.
  assert.deepEqual(
    calls.map((at) => Math.round(at)),
    [0, 420, 840],
  );
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
  const { calls, renew, now, sleep } = scenario([{ leaseSeconds: 1, renewable: true }]);
  const end = await watchLifetime({
    initial: { leaseSeconds: 1, renewable: false },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
    now,
    sleep,
  });
  assert.equal(end, 'expiring');
  assert.equal(calls.length, 0);
  // One wait of 2/3 of the second plus a third of its 100 ms grace; then only the grace is left.
  assert.equal(Math.round(now()), 700);
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
  const { calls, renew, now, sleep } = scenario([down, refused(503), { leaseSeconds: 60, renewable: true }]);
  const controller = new AbortController();
  const errors: unknown[] = [];
  const end = await watchLifetime({
    initial: { leaseSeconds: 60, renewable: true },
    renew,
    signal: controller.signal,
    random: () => 0,
    retryMs: 20,
    now,
    sleep,
    onRenewalError: (error) => errors.push(error),
    // Stopped once the server answers: the watch is still on the same token.
    onRenewed: () => controller.abort(),
  });
  assert.equal(end, 'stopped', 'still watching the same token');
  assert.equal(errors.length, 2);
  // Retried after 20 ms, then after 40.
  assert.deepEqual(calls, [0, 20, 60]);
  assert.equal(calls.length, 3);
});

test('renewals that keep failing hand back when the grace period is reached, not before', async () => {
  const { calls, renew, now, sleep } = scenario([refused(502)]);
  const end = await watchLifetime({
    initial: { leaseSeconds: 1, renewable: true },
    renew,
    signal: new AbortController().signal,
    random: () => 0,
    retryMs: 50,
    now,
    sleep,
  });
  assert.equal(end, 'expiring');
  // Waits of 50, 100, 200 and 400 ms, then the 150 ms left before the 100 ms grace of the 1 s lease.
  assert.deepEqual(calls, [0, 50, 150, 350, 750, 900]);
  assert.equal(now(), 900);
});
