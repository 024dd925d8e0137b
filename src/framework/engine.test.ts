import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineEngine, parseInput } from './engine.js';
import { field } from './fields.js';
import type { LogicalRequest } from './logical.js';
import { definePath, type EngineContext } from './path.js';

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

test('a body field named like an Object.prototype member is an unknown field, not a crash', () => {
  const fields = { name: field.string('Name.') };
  const data = JSON.parse('{"name":"n","constructor":1,"toString":"x","__proto__":{"a":1}}');
  const { input, warnings } = parseInput(fields, data, {}, false);
  assert.deepEqual(input, { name: 'n' });
  assert.deepEqual(warnings, [
    'Endpoint ignored these unrecognized parameters: [__proto__ constructor toString]',
  ]);
});

test("a path's captures win over a body field of the same name", () => {
  const fields = { name: field.string('Name.'), ttl: field.int('TTL.') };
  const { input, warnings } = parseInput(fields, { name: 'from-body', ttl: 5 }, { name: 'from-path' }, false);
  assert.deepEqual(input, { name: 'from-path', ttl: 5 });
  assert.deepEqual(warnings, []);
});

test('string fields refuse NUL and numbers JSON cannot hold (1e999 is Infinity), naming the field', () => {
  const fields = { name: field.string('Name.'), policies: field.stringList('Policies.') };
  const refused = (data: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => parseInput(fields, data, {}, false), message);
  refused(JSON.parse('{"name":1e999}'), /field "name" must be a string/);
  refused({ name: 'a\u0000b' }, /field "name" contains a NUL character/);
  refused({ policies: ['ok', 'a\u0000b'] }, /field "policies" contains a NUL character/);
  refused({ policies: 'ok,a\u0000b' }, /field "policies" contains a NUL character/);
  refused(JSON.parse('{"policies":-1e999}'), /field "policies" must be a list of strings/);
  assert.deepEqual(parseInput(fields, { name: 12, policies: 3 }, {}, false).input, {
    name: '12',
    policies: ['3'],
  });
});

test("an existence check's path match serves its own request only, even when checks interleave", async () => {
  const echo = (table: string) =>
    definePath({
      pattern: `${table}/:name`,
      fields: { name: field.string('Name.') },
      exists: async () => true,
      operations: { update: async (_ctx, input) => ({ data: { table, name: input.name } }) },
      help: 'Echoes the table and name.',
    });
  const engine = defineEngine({ type: 'echo', help: 'Test engine.', paths: [echo('a'), echo('b')] });
  const ctx = {} as EngineContext;
  const request = (path: string): LogicalRequest => ({
    id: path,
    operation: 'update',
    path,
    data: {},
    mountPoint: 'echo/',
  });
  const first = request('a/one');
  const second = request('b/two');
  assert.equal(await engine.exists(ctx, first), true);
  assert.equal(await engine.exists(ctx, second), true);
  assert.deepEqual((await engine.handleRequest(ctx, first))?.data, { table: 'a', name: 'one' });
  assert.deepEqual((await engine.handleRequest(ctx, second))?.data, { table: 'b', name: 'two' });
  // A request whose path changed after its check is matched again.
  const moved = request('a/three');
  await engine.exists(ctx, moved);
  moved.path = 'b/four';
  assert.deepEqual((await engine.handleRequest(ctx, moved))?.data, { table: 'b', name: 'four' });
});
