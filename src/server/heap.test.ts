import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapGrowthGiven } from './heap.js';

test("an operator's heap growth setting is found on the command line or in NODE_OPTIONS", () => {
  assert.equal(heapGrowthGiven(['--heap-growing-percent=30'], undefined), true);
  assert.equal(heapGrowthGiven([], '--max-old-space-size=512 --heap_growing_percent=50'), true);
  assert.equal(heapGrowthGiven(['--heap-growing-percent', '50'], ''), true);
});

test('other flags, and look-alikes, leave the server to set its own', () => {
  assert.equal(heapGrowthGiven([], undefined), false);
  assert.equal(heapGrowthGiven(['--max-old-space-size=512', '--enable-source-maps'], '--trace-gc'), false);
  assert.equal(heapGrowthGiven(['--heap-growing-percentage=5'], ''), false);
});
