import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoizeString } from './memo.js';

test('memoizeString answers repeats from the memo, holds at most `limit`, and skips long inputs', () => {
  const calls: string[] = [];
  const upper = memoizeString(
    (v) => {
      calls.push(v);
      return v.toUpperCase();
    },
    { limit: 2, maxInputLength: 5 },
  );
  assert.equal(upper('a'), 'A');
  assert.equal(upper('a'), 'A');
  assert.deepEqual(calls, ['a']);
  upper('b');
  upper('c'); // evicts 'a', the oldest
  upper('a');
  assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
  upper('longer-than-five');
  upper('longer-than-five');
  assert.equal(calls.filter((v) => v === 'longer-than-five').length, 2, 'long inputs are not held');
});
