import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagGiven, scavengeAlone } from './heap.js';

test("an operator's heap growth setting is found on the command line or in NODE_OPTIONS", () => {
  assert.equal(flagGiven('heap-growing-percent', ['--heap-growing-percent=30'], undefined), true);
  assert.equal(
    flagGiven('heap-growing-percent', [], '--max-old-space-size=512 --heap_growing_percent=50'),
    true,
  );
  assert.equal(flagGiven('heap-growing-percent', ['--heap-growing-percent', '50'], ''), true);
});

test('other flags, and look-alikes, leave the server to set its own', () => {
  assert.equal(flagGiven('heap-growing-percent', [], undefined), false);
  assert.equal(
    flagGiven('heap-growing-percent', ['--max-old-space-size=512', '--enable-source-maps'], '--trace-gc'),
    false,
  );
  assert.equal(flagGiven('heap-growing-percent', ['--heap-growing-percentage=5'], ''), false);
});

test('scavenges run on the main thread alone only when the process has one core', () => {
  assert.equal(scavengeAlone(1, [], undefined), true);
  assert.equal(scavengeAlone(2, [], undefined), false);
  assert.equal(scavengeAlone(16, [], undefined), false);
});

test("an operator's parallel-scavenge flag, either way, wins over the server's choice", () => {
  assert.equal(scavengeAlone(1, ['--parallel-scavenge'], undefined), false);
  assert.equal(scavengeAlone(1, [], '--no-parallel_scavenge'), false);
  assert.equal(scavengeAlone(1, ['--trace-gc'], '--max-semi-space-size=8'), true);
});
