import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEADLINE_EXCEEDED, withDeadline } from './deadline.js';

test('an answer within the deadline passes through; onLate is not called', async () => {
  const late: string[] = [];
  const value = await withDeadline(
    sleep(5).then(() => 'made'),
    1000,
    async (v) => void late.push(v),
  );
  assert.equal(value, 'made');
  await assert.rejects(
    withDeadline(Promise.reject(new Error('boom')), 1000, async () => undefined),
    /boom/,
  );
  assert.deepEqual(late, []);
});

test('past the deadline the caller gets a 500, and the late answer goes to onLate', async () => {
  const late: string[] = [];
  const work = sleep(400).then(() => 'credential');
  await assert.rejects(
    async () => withDeadline(work, 20, async (v) => void late.push(v)),
    (error: Error & { status?: number }) => {
      assert.equal(error.message, DEADLINE_EXCEEDED);
      assert.equal(error.status, 500);
      return true;
    },
  );
  await work;
  await sleep(1);
  assert.deepEqual(late, ['credential']);
});

test('no deadline set: the work is returned as it is', async () => {
  const work = Promise.resolve(1);
  assert.equal(
    withDeadline(work, undefined, async () => undefined),
    work,
  );
});

test('work already done (a cached answer) is returned as it is, not as a promise', () => {
  assert.equal(
    withDeadline('cached', 20, async () => undefined),
    'cached',
  );
});
