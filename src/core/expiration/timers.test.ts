/** The timer heap: due items fire in time order, cancelled and replaced ones never fire. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { type DueRef, hashId, refOf } from './due-index.js';
import { Timers } from './timers.js';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('items fire in due order; cancelled and rescheduled ones fire once, at their last time', async () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  const timers = new Timers(clock, 4, async (ref: DueRef) => {
    fired.push(`${ref.item?.id}@${clock.now()}`);
  });
  const item = (id: string, at: number) => refOf({ kind: 'lease', id, at });
  // Shuffled insertion order, plenty of entries to exercise the heap.
  const ids = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 2000);
  for (const i of ids) timers.schedule(item(`l${i}`, 1000 + i * 10));
  for (let i = 0; i < 2000; i += 2) timers.cancel(hashId('lease', `l${i}`));
  timers.schedule(item('l1', 50_000)); // moved later
  timers.schedule(item('early', 500)); // earlier than everything armed
  assert.equal(timers.size, 1001);
  clock.advance(600);
  await settle();
  assert.deepEqual(fired, ['early@500']);
  clock.advance(60_000);
  await settle();
  const order = fired.slice(1).map((f) => f.split('@')[0]);
  assert.equal(order.length, 1000);
  assert.equal(order.at(-1), 'l1');
  assert.ok(
    order.every((id) => Number(id.slice(1)) % 2 === 1),
    'no cancelled item fired',
  );
  const times = fired.slice(1).map((f) => Number(f.split('@')[1]));
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(timers.size, 0);
});

test('clear stops everything', async () => {
  const clock = new FakeClock(0);
  let count = 0;
  const timers = new Timers(clock, 1, async () => {
    count++;
  });
  timers.schedule(refOf({ kind: 'token', id: 'a', at: 10 }));
  timers.clear();
  clock.advance(100);
  await settle();
  assert.equal(count, 0);
  assert.equal(timers.size, 0);
});

test('a ref loaded from the index while its id is firing or scheduled does not fire it again', async () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const timers = new Timers(clock, 4, async (ref: DueRef) => {
    fired.push(`${ref.item?.id ?? ref.idHash}@${clock.now()}`);
    if (ref.item?.id === 'slow') await held; // a revocation waiting on its source
  });
  const slow = refOf({ kind: 'lease', id: 'slow', at: 10 });
  timers.schedule(slow);
  clock.advance(10);
  await settle();
  assert.deepEqual(fired, ['slow@10']);
  // The loader reads the same due entry back while the handler still runs.
  timers.load({ at: 10, idHash: slow.idHash });
  clock.advance(1);
  await settle();
  assert.deepEqual(fired, ['slow@10'], 'not fired a second time while the first runs');
  release();
  await settle();
  // A scheduled entry is not replaced by its loaded copy (which would lose the item it carries).
  const later = refOf({ kind: 'lease', id: 'later', at: 100 });
  timers.schedule(later);
  timers.load({ at: 100, idHash: later.idHash });
  clock.advance(100);
  await settle();
  assert.deepEqual(fired, ['slow@10', 'later@100']);
  // Once nothing holds the id, a loaded ref is scheduled as before (after a restart, say).
  timers.load({ at: 200, idHash: hashId('lease', 'restarted') });
  clock.advance(100);
  await settle();
  assert.equal(fired.length, 3);
});
