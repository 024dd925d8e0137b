import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundOrder } from './round-order.js';

test('each server goes first in turn, and every round loads each server once', () => {
  assert.deepEqual(roundOrder(0, 2), [0, 1]);
  assert.deepEqual(roundOrder(1, 2), [1, 0]);
  assert.deepEqual(roundOrder(2, 2), [0, 1]);
  assert.deepEqual(roundOrder(4, 3), [1, 2, 0]);
  assert.deepEqual(roundOrder(0, 1), [0]);
  for (let round = 0; round < 6; round++)
    assert.deepEqual([...roundOrder(round, 3)].sort(), [0, 1, 2], `round ${round}`);
});
