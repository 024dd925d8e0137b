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

test('a hold no longer reaches its request once left (the set may keep stale copies of its entries)', () => {
  const requests = new InFlight();
  const hold = requests.enter({ data: 'x'.repeat(100) })!;
  requests.leave(hold);
  assert.equal(hold.request, undefined);
});
