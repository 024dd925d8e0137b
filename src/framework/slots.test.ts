import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Slots } from './slots.js';
import { gatedTask } from './testing.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('no more than size tasks run at once; the others start in arrival order as slots free up', async () => {
  const slots = new Slots(2);
  const log: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => gatedTask(log, name));
  const results = [a, b, c, d].map((t) => slots.run(t.fn));
  await settle();
  assert.deepEqual(log, ['start a', 'start b']);
  b.open();
  await settle();
  assert.deepEqual(log, ['start a', 'start b', 'end b', 'start c']);
  a.open();
  await settle();
  assert.deepEqual(log.slice(4), ['end a', 'start d']);
  c.open();
  d.open();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
});

test('a failing task passes its error on and frees its slot', async () => {
  const slots = new Slots(1);
  await assert.rejects(
    slots.run(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await slots.run(async () => 'next'), 'next');
});

test('a size below one is refused', () => {
  assert.throws(() => new Slots(0), /positive integer/);
  assert.throws(() => new Slots(1.5), /positive integer/);
});
