import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('the wait doubles from the minimum up to the maximum, and starts over after a success', () => {
  const backoff = new Backoff(1000, 10_000, () => 0);
  assert.deepEqual(
    Array.from({ length: 6 }, () => backoff.next()),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  backoff.reset();
  assert.equal(backoff.next(), 1000);
});

test('jitter takes off at most a quarter of each wait', () => {
  const low = new Backoff(1000, 300_000, () => 0.999999);
  assert.deepEqual(
    Array.from({ length: 3 }, () => low.next()),
    [750, 1500, 3000],
  );
  const random = new Backoff(1000, 300_000);
  for (let i = 0; i < 8; i++) {
    const nominal = 1000 * 2 ** i;
    const wait = random.next();
    assert.ok(wait > nominal * 0.75 - 1 && wait <= nominal, `${wait} for ${nominal}`);
  }
});

test('J2: against a server down for 30 s, the default schedule makes far fewer than 20 attempts', () => {
  const backoff = new Backoff(1000, 300_000, () => 0.999999);
  let elapsed = backoff.next();
  let attempts = 1;
  while (elapsed <= 30_000) {
    attempts++;
    elapsed += backoff.next();
  }
  assert.ok(attempts <= 20, `${attempts} attempts`);
  assert.ok(attempts >= 5, `${attempts} attempts`);
});
