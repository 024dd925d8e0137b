import assert from 'node:assert/strict';
import { test } from 'node:test';
import { met, type Row, runTimeLine, summaryTable } from './results.js';

const row = (fields: Partial<Row>): Row => ({ name: 'w', rps: 1, p50: 0, p99: 0, errors: 0, ...fields });

test('a ratio meets its target exactly at or beyond it, in the direction of the row', () => {
  assert.equal(met(row({ ratio: 0.5, target: 0.5 })), true);
  assert.equal(met(row({ ratio: 0.4999, target: 0.5 })), false); // shown as 0.500, still a miss
  assert.equal(met(row({ ratio: 0.25, target: 0.25, lowerIsBetter: true })), true);
  assert.equal(met(row({ ratio: 0.265, target: 0.25, lowerIsBetter: true })), false);
  assert.equal(met(row({})), undefined); // a baseline row has no target
});

test('the summary counts rows with targets, and a row with errors as failed, not met', () => {
  const table = summaryTable([
    row({ name: 'bare-http' }),
    row({ name: 'fast', ratio: 0.6, target: 0.5 }),
    row({ name: 'slow', ratio: 0.1, target: 0.5 }),
    row({ name: 'broken', ratio: 0.9, target: 0.5, errors: 3 }),
  ]);
  assert.match(table, /fast\s+0\.600\s+>= 0\.50\s+met/);
  assert.match(table, /slow\s+0\.100\s+>= 0\.50\s+missed/);
  assert.match(table, /broken\s+0\.900\s+>= 0\.50\s+FAILED \(errors\)/);
  assert.doesNotMatch(table, /bare-http/);
  assert.match(table, /1 of 3 targets met/);
});

test("the run's wall time is held to ten minutes, three with --quick, and a subset to none", () => {
  assert.equal(runTimeLine(593.4, { quick: false }), 'run took 9 min 53 s (bound: under 10 min)');
  assert.equal(runTimeLine(600, { quick: false }), 'run took 10 min 0 s: OVER its 10-minute bound');
  assert.equal(runTimeLine(179.6, { quick: true }), 'run took 3 min 0 s (bound: under 3 min)');
  assert.equal(runTimeLine(181, { quick: true }), 'run took 3 min 1 s: OVER its 3-minute bound');
  assert.equal(
    runTimeLine(700, { quick: false, only: ['kv2-read'] }),
    'run took 11 min 40 s (a subset: no time bound)',
  );
});
