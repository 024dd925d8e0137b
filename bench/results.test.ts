import assert from 'node:assert/strict';
import { test } from 'node:test';
import { met, type Row, summaryTable } from './results.js';

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
