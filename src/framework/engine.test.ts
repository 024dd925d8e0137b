import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInput } from './engine.js';
import { field } from './fields.js';

test('each request gets its own copy of a list or map default, so a handler cannot change the next one', () => {
  const fields = {
    policies: field.stringList('Policies.', { default: ['default'] }),
    meta: field.map('Metadata.', { default: { team: 'a' } }),
    ttl: field.int('TTL.', { default: 30 }),
    name: field.string('Name.', { default: 'x' }),
  };
  const first = parseInput(fields, {}, {}, true).input;
  (first.policies as string[]).push('root');
  (first.meta as Record<string, string>).team = 'b';
  const second = parseInput(fields, {}, {}, true).input;
  assert.deepEqual(second, { policies: ['default'], meta: { team: 'a' }, ttl: 30, name: 'x' });
  assert.deepEqual(fields.policies.default, ['default']);
});

test('an update applies no defaults: only what was sent is set', () => {
  const fields = { ttl: field.int('TTL.', { default: 30 }), name: field.string('Name.') };
  assert.deepEqual(parseInput(fields, { name: 'n' }, {}, false).input, { name: 'n' });
});
