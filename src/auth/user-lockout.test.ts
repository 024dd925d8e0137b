import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LOCKOUT_POLICY, effectiveLockout } from './user-lockout.js';

test("lockout layers: each set field of a more specific layer wins; unset ones keep the layer below's", () => {
  assert.deepEqual(effectiveLockout([]), DEFAULT_LOCKOUT_POLICY);
  assert.deepEqual(
    effectiveLockout([
      { threshold: 10, durationSeconds: 600 }, // user_lockout "all"
      { durationSeconds: 60 }, // user_lockout "userpass"
      { counterResetSeconds: 30 }, // the mount's tuning
    ]),
    { threshold: 10, durationMs: 60_000, counterResetMs: 30_000 },
  );
});

test('lockout disable: the most specific layer that says wins; the environment variable overrides all', () => {
  assert.equal(effectiveLockout([{ disable: true }]), undefined);
  assert.deepEqual(effectiveLockout([{ disable: true }, { disable: false }]), DEFAULT_LOCKOUT_POLICY);
  assert.deepEqual(effectiveLockout([{ disable: true }, { threshold: 3 }]), undefined);
  assert.equal(effectiveLockout([{ disable: false }], true), undefined);
});
