import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedRwLock } from './keyed-rw-lock.js';
import { gatedTask } from './testing.js';

test('shared holders run together; an exclusive holder waits for them and runs alone', async () => {
  const lock = new KeyedRwLock();
  const log: string[] = [];
  const a = gatedTask(log, 'a');
  const b = gatedTask(log, 'b');
  const w = gatedTask(log, 'w');
  const pa = lock.shared('k', a.fn);
  const pb = lock.shared('k', b.fn);
  const pw = lock.exclusive('k', w.fn);
  await sleep(5);
  assert.deepEqual(log, ['start a', 'start b'], 'both shared holders are in; the exclusive one waits');
  a.open();
  await pa;
  await sleep(5);
  assert.ok(!log.includes('start w'), 'one shared holder is still in');
  b.open();
  await pb;
  await sleep(5);
  assert.equal(log.at(-1), 'start w');
  w.open();
  await pw;
  assert.equal(lock.size, 0, 'an idle lock keeps no state');
});

test('a waiting exclusive request goes before shared requests that came after it', async () => {
  const lock = new KeyedRwLock();
  const log: string[] = [];
  const first = gatedTask(log, 'first');
  const w = gatedTask(log, 'w');
  const late = gatedTask(log, 'late');
  const p1 = lock.shared('k', first.fn);
  const pw = lock.exclusive('k', w.fn);
  const pl = lock.shared('k', late.fn);
  await sleep(5);
  assert.deepEqual(log, ['start first'], 'the late shared request queues behind the exclusive one');
  first.open();
  await p1;
  await sleep(5);
  assert.equal(log.at(-1), 'start w');
  w.open();
  await pw;
  await sleep(5);
  assert.equal(log.at(-1), 'start late');
  late.open();
  await pl;
});

test('a failing holder releases the lock; other keys never wait', async () => {
  const lock = new KeyedRwLock();
  await assert.rejects(
    lock.exclusive('k', async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  const log: string[] = [];
  const other = gatedTask(log, 'other');
  const held = lock.exclusive('x', other.fn);
  await lock.shared('k', async () => log.push('k ran'));
  assert.deepEqual(log, ['start other', 'k ran']);
  other.open();
  await held;
  assert.equal(lock.size, 0);
});
