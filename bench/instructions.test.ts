import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyWarning, collectedInstructions, perOp } from './instructions.js';

test("callgrind's exit total is read from its stderr, and a run that printed none is an error", () => {
  const stderr =
    '==8045== Events    : Ir\n==8045== Collected : 9466508122\n==8045==\n==8045== I   refs:      9,466,508,122\n';
  assert.equal(collectedInstructions(stderr), 9_466_508_122);
  assert.throws(() => collectedInstructions('==1== error: no such file\n'), /callgrind printed no total/);
});

test('instructions per op leave out what both runs share (start-up, seeding)', () => {
  // 4.1e9 of start-up, 300k per op: 4,000 and 8,000 ops.
  const small = { ops: 4000, total: 4.1e9 + 4000 * 300_000 };
  const large = { ops: 8000, total: 4.1e9 + 8000 * 300_000 };
  assert.equal(perOp(small, large), 300_000);
  assert.throws(() => perOp(large, small), /more ops/);
});

test('a run on a busy machine says so before it counts; a quiet one says nothing', () => {
  assert.equal(busyWarning(0.2), undefined);
  assert.match(busyWarning(1.5) ?? '', /load average 1\.50 .*do not compare/);
});
