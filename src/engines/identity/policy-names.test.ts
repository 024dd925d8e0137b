import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rejection } from '../../framework/testing.js';
import { identityPolicies } from './policy-names.js';

test('names are trimmed, lower-cased and deduplicated', () => {
  assert.deepEqual(identityPolicies([' Dev ', 'dev', 'OPS', '']), ['dev', 'ops']);
});

for (const name of ['root', 'Root', ' root', 'ROOT ', '\troot']) {
  test(`${JSON.stringify(name)} is refused with Vault's text`, async () => {
    const error = await rejection(Promise.resolve().then(() => identityPolicies(['dev', name])));
    assert.equal(error.status, 400);
    assert.equal(error.message, 'policies cannot contain root');
  });
}

test('internal policies cannot be assigned', async () => {
  const error = await rejection(Promise.resolve().then(() => identityPolicies(['Response-Wrapping'])));
  assert.equal(error.status, 400);
});
