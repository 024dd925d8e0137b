import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burstsOf, steadyRate } from './quota.js';

/** `count` 200s spread over the first 40 ms of a window starting at `start` ms. */
const burst = (start: number, count: number) =>
  Array.from({ length: count }, (_, i) => start + (40 * i) / count);

test('quota-admitted counts only complete windows: the measurement cuts the first and the last', () => {
  const times = [
    ...burst(0, 326),
    ...burst(1000, 1000),
    ...burst(2000, 1000),
    ...burst(3000, 1000),
    ...burst(4000, 90),
  ];
  const bursts = burstsOf(times);
  assert.deepEqual(
    bursts.map((b) => b.count),
    [326, 1000, 1000, 1000, 90],
  );
  assert.equal(steadyRate(bursts), 1000);
});

test('quota-admitted: a limiter that admits too much per window shows as a higher rate', () => {
  const times = [...burst(0, 1200), ...burst(1000, 1200), ...burst(2000, 1200), ...burst(3000, 1200)];
  assert.equal(steadyRate(burstsOf(times)), 1200);
});

test('quota-admitted: fewer than three bursts give no rate', () => {
  assert.equal(steadyRate(burstsOf([...burst(0, 10), ...burst(1000, 10)])), undefined);
});
