import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionRows, pairedShare, timeBoundRow } from './conditions.js';
import type { LoadResult } from './load.js';
import { met, type Row } from './results.js';
import type { Workload } from './workloads.js';

const result = (fields: Partial<LoadResult>): LoadResult => ({
  rps: 1000,
  p50: 0.5,
  p99: 1,
  errors: 0,
  ...fields,
});
const workload = (fields: Partial<Workload>): Workload => ({
  name: 'w',
  baseline: 'bare-http',
  target: 0.5,
  prepare: async () => undefined,
  ...fields,
});

test("health's p99 is held to 1.5 x the p99 of the bare-http it was compared with", () => {
  const health = workload({ name: 'health', p99VsBaseline: 1.5 });
  const [within] = conditionRows(health, result({ p99: 1.5 }), [], 1.0);
  assert.equal(within.name, 'health-p99');
  assert.equal(within.ratio, 1.5);
  assert.equal(met(within), true);
  const [over] = conditionRows(health, result({ p99: 1.6 }), [], 1.0);
  assert.equal(met(over), false);
  // Without a baseline p99 there is nothing to compare with: no row, rather than a made-up one.
  assert.deepEqual(conditionRows(health, result({}), [], undefined), []);
});

test('the audit cost is the share of kv2-read throughput lost, and a p99 bound in ms has its row', () => {
  const rows: Row[] = [{ name: 'kv2-read', rps: 1000, p50: 0, p99: 0, errors: 0 }];
  const [cost] = conditionRows(workload({ name: 'kv2-read-audit' }), result({ rps: 700 }), rows);
  assert.equal(cost.name, 'kv2-read-audit-cost');
  assert.ok(Math.abs(cost.ratio! - 0.3) < 1e-9);
  assert.equal(met(cost), false);
  const [p99] = conditionRows(workload({ name: 'kv2-read@10', p99TargetMs: 1 }), result({ p99: 0.8 }), rows);
  assert.equal(p99.name, 'kv2-read@10-p99');
  assert.equal(met(p99), true);
});

test('the audit cost is taken from rounds paired in the same minutes when there are some, not the earlier row', () => {
  const rows: Row[] = [{ name: 'kv2-read', rps: 1000, p50: 0, p99: 0, errors: 0 }];
  const audited = workload({ name: 'kv2-read-audit' });
  // The machine slowed by half between the second and third pair: each pair still says 20-25%.
  const share = pairedShare([
    { rps: 800, withoutRps: 1000 },
    { rps: 750, withoutRps: 1000 },
    { rps: 390, withoutRps: 500 },
  ]);
  assert.equal(share.rps, 1000);
  assert.ok(Math.abs(share.ratio - 0.78) < 1e-9);
  const [cost] = conditionRows(audited, result({ rps: 750 }), rows, undefined, share);
  assert.ok(Math.abs(cost.ratio! - 0.22) < 1e-9);
  assert.equal(cost.baseline, 'kv2-read, same minutes');
  assert.equal(met(cost), true);
  // A ratio of the two medians would have paired 750 with 1000: 25%.
});

test('a time bound is met at or under its bound', () => {
  assert.equal(met(timeBoundRow('cold-start', 999, 1000, 'ms')), true);
  assert.equal(met(timeBoundRow('cold-start', 1000, 1000, 'ms')), true);
  assert.equal(met(timeBoundRow('cold-start', 1001, 1000, 'ms')), false);
});
