/** Go duration parsing and printing, as the CLI's duration flags and tables use them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, humanDuration, parseDurationSecond, parseGoDuration, SECOND } from './duration.js';

test('Go duration strings parse to nanoseconds', () => {
  assert.equal(parseGoDuration('1h30m'), 5400n * SECOND);
  assert.equal(parseGoDuration('1.5h'), 5400n * SECOND);
  assert.equal(parseGoDuration('250ms'), 250_000_000n);
  assert.equal(parseGoDuration('-1s'), -SECOND);
  assert.equal(parseGoDuration('0'), 0n);
});

test('malformed durations fail with Go wording', () => {
  assert.throws(() => parseGoDuration('abc'), /^Error: time: invalid duration "abc"$/);
  assert.throws(() => parseGoDuration('5x'), /time: unknown unit "x" in duration "5x"/);
  assert.throws(() => parseGoDuration('1h5'), /time: missing unit in duration "1h5"/);
});

test('vault duration inputs: bare integers are seconds, Nd is days', () => {
  assert.equal(parseDurationSecond('300'), 300n * SECOND);
  assert.equal(parseDurationSecond('2d'), 48n * 3600n * SECOND);
  assert.equal(parseDurationSecond(''), 0n);
  assert.equal(parseDurationSecond('5m'), 300n * SECOND);
});

test('formatting matches Duration.String()', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [90n * SECOND, '1m30s'],
    [3600n * SECOND, '1h0m0s'],
    [2764800n * SECOND, '768h0m0s'],
    [1_500_000_000n, '1.5s'],
    [1_500_000n, '1.5ms'],
    [-SECOND, '-1s'],
  ];
  for (const [ns, text] of cases) assert.equal(formatGoDuration(ns), text);
});

test('table durations drop the zero padding', () => {
  assert.equal(humanDuration(2764800), '768h');
  assert.equal(humanDuration(3600), '1h');
  assert.equal(humanDuration(3605), '1h5s');
  assert.equal(humanDuration(120), '2m');
  assert.equal(humanDuration(45), '45s');
  assert.equal(humanDuration(0), '0s');
});
