import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../framework/clock.js';
import { InFlight } from './in-flight.js';

test('a seal waits for the requests in flight; those still there after the grace period are abandoned', async () => {
  const clock = new FakeClock();
  const requests = new InFlight();
  const quick = requests.enter({})!;
  const hung = requests.enter({})!;
  const closing = requests.close(1000, clock);
  assert.equal(requests.enter({}), undefined, 'admitted a request after the seal began');
  requests.leave(quick);
  clock.advance(1000);
  await closing;
  assert.equal(quick.abandoned, false);
  assert.equal(hung.abandoned, true);
  requests.open();
  assert.ok(requests.enter({}), 'refused a request after unseal');
});

test('the request that asks for the seal leaves first, so the seal does not wait for it', async () => {
  const clock = new FakeClock();
  const requests = new InFlight();
  const sealRequest = {};
  const hold = requests.enter(sealRequest)!;
  requests.leaveRequest(sealRequest);
  await requests.close(60_000, clock); // resolves at once: nothing left to wait for
  assert.equal(hold.abandoned, false);
  requests.leave(hold); // its own finally block leaves again: idempotent
});

test('a hold no longer reaches its request once left', () => {
  const requests = new InFlight();
  const hold = requests.enter({ data: 'x'.repeat(100) })!;
  requests.leave(hold);
  assert.equal(hold.request, undefined);
});

test('holds leave in any order: a seal waits exactly until the last one has left', async () => {
  const clock = new FakeClock();
  const requests = new InFlight();
  const [oldest, middle, newest] = [requests.enter({})!, requests.enter({})!, requests.enter({})!];
  requests.leave(middle);
  requests.leave(oldest);
  requests.leave(oldest); // a second leave changes nothing
  let closed = false;
  const closing = requests.close(60_000, clock).then(() => {
    closed = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false, 'the seal did not wait for the newest hold');
  requests.leave(newest);
  await closing; // without the grace period running out
  assert.deepEqual(
    [oldest, middle, newest].map((hold) => hold.abandoned),
    [false, false, false],
  );
});

test('a seal that stops waiting abandons every hold still in flight, and only those', async () => {
  const clock = new FakeClock();
  const requests = new InFlight();
  const holds = Array.from({ length: 5 }, () => requests.enter({})!);
  requests.leave(holds[1]);
  requests.leave(holds[3]);
  const closing = requests.close(1000, clock);
  clock.advance(1000);
  await closing;
  assert.deepEqual(
    holds.map((hold) => hold.abandoned),
    [true, false, true, false, true],
  );
  requests.open();
  const next = requests.enter({})!;
  requests.leave(next);
  await requests.close(1000, clock); // nothing left from before the first seal: resolves at once
});
