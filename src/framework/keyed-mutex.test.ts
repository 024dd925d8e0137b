import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedMutex } from './keyed-mutex.js';

test('work on one key runs one at a time, in arrival order; other keys do not wait', async () => {
  const mutex = new KeyedMutex();
  const order: string[] = [];
  let releaseFirst!: () => void;
  const first = mutex.run('a', async () => {
    order.push('a1 start');
    await new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    order.push('a1 end');
  });
  const second = mutex.run('a', async () => {
    order.push('a2');
  });
  await mutex.run('b', async () => {
    order.push('b');
  });
  releaseFirst();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['a1 start', 'b', 'a1 end', 'a2']);
});

test('a failure is its caller’s alone: the next holder of the key still runs', async () => {
  const mutex = new KeyedMutex();
  const failed = mutex.run('k', async () => {
    throw new Error('boom');
  });
  const next = mutex.run('k', async () => 'ran');
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ran');
  // And once idle the key starts afresh.
  assert.equal(await mutex.run('k', async () => 'again'), 'again');
});
