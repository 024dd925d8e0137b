import assert from 'node:assert/strict';
import { test } from 'node:test';
import { andThen, attempt, isPromise } from './maybe-promise.js';

test('andThen answers a value at once and a promise later, with the same result', async () => {
  assert.equal(
    andThen(2, (n) => n * 21),
    42,
  );
  const later = andThen(Promise.resolve(2), (n) => n * 21);
  assert.ok(isPromise(later));
  assert.equal(await later, 42);
});

test('a throw in andThen or attempt becomes a rejection, never a synchronous throw', async () => {
  const boom = () => {
    throw new Error('boom');
  };
  for (const result of [andThen(1, boom), andThen(Promise.resolve(1), boom), attempt(boom)]) {
    if (!isPromise(result)) assert.fail('expected a rejection');
    await assert.rejects(result, /boom/);
  }
});
