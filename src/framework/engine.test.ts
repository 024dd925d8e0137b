import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError, invalid } from '../core/errors.js';
import { defineEngine, PathTable, parseInput } from './engine.js';
import { field } from './fields.js';
import type { LogicalRequest, Operation } from './logical.js';
import { isPromise } from './maybe-promise.js';
import { definePath, type EngineContext, literalFirstSegment } from './path.js';

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

test('a literal first segment is what a pattern shows before its first capture, up to the first slash', () => {
  assert.equal(literalFirstSegment('leases/renew/*url_lease_id'), 'leases');
  assert.equal(literalFirstSegment('leases/renew'), 'leases');
  assert.equal(literalFirstSegment('renew'), 'renew');
  assert.equal(literalFirstSegment(''), '');
  assert.equal(literalFirstSegment('roles/'), 'roles');
  assert.equal(literalFirstSegment('*path'), undefined);
  assert.equal(literalFirstSegment(':name/rotate'), undefined);
  assert.equal(literalFirstSegment('v-:name/x'), undefined);
  // A colon or star not followed by a name is literal text, as the pattern compiler reads it.
  assert.equal(literalFirstSegment('a:1/:name'), 'a:1');
});

test('the path table finds what a walk through every pattern in order finds', () => {
  const patterns = [
    '',
    'leases/lookup/',
    'leases/lookup/*prefix/',
    'leases/renew/*url_lease_id',
    'leases/renew',
    'renew/*url_lease_id',
    'renew',
    'roles/',
    'roles/:name',
    'v-:name/x',
    'a:1/:name',
    'tools/random/:urlbytes',
    'tools/random/:source/:urlbytes',
    ':first/second',
    '*path/',
    '*path',
  ];
  const paths = patterns.map((pattern) =>
    definePath({ pattern, operations: { read: () => undefined }, help: pattern }),
  );
  const table = new PathTable(paths);
  const walk = (path: string) => {
    for (const candidate of paths) {
      const captures = candidate.match(path);
      if (captures) return { path: candidate, captures };
    }
    return undefined;
  };
  const samples = [
    '',
    '/',
    'leases',
    'leases/',
    'leases/lookup/',
    'leases/lookup/a/b/',
    'leases/renew',
    'leases/renew/x/y',
    'renew',
    'renew/',
    'renew/id',
    'roles',
    'roles/',
    'roles/r1',
    'roles/r1/extra',
    'v-app/x',
    'v-/x',
    'a:1/n',
    'a:1',
    'tools/random/32',
    'tools/random/all/32',
    'tools/random',
    'zzz/second',
    'leases/second',
    'other',
    'other/deep/path',
    'ünï/😀',
  ];
  for (const path of samples) {
    const expected = walk(path);
    const found = table.find(path);
    assert.equal(found?.path.pattern, expected?.path.pattern, `path ${JSON.stringify(path)}`);
    assert.deepEqual(found?.captures, expected?.captures, `captures of ${JSON.stringify(path)}`);
  }
});

test('a handler that answers at once is answered at once; every failure, thrown or not, is a rejection', async () => {
  const engine = defineEngine({
    type: 'test',
    help: 'A test engine.',
    paths: [
      definePath({
        pattern: 'now',
        fields: { n: field.int('N.') },
        operations: {
          read: () => ({ data: { answered: 'at once' } }),
          update: () => {
            throw invalid('refused at once');
          },
        },
        help: 'Answers without waiting.',
      }),
    ],
  });
  // The handlers above use nothing of their context.
  const ctx = {} as EngineContext;
  const request = (operation: Operation, path: string, data = {}): LogicalRequest => ({
    id: 'r',
    operation,
    path,
    data,
    mountPoint: 'test/',
  });
  // The pipeline relies on this to answer a cached read without a turn of the microtask queue.
  assert.deepEqual(engine.handleRequest(ctx, request('read', 'now')), { data: { answered: 'at once' } });
  const failures = [
    engine.handleRequest(ctx, request('update', 'now')), // the handler throws
    engine.handleRequest(ctx, request('read', 'nowhere')), // no such path
    engine.handleRequest(ctx, request('read', 'now', { n: 'not a number' })), // invalid input
  ];
  for (const failure of failures) {
    if (!isPromise(failure)) assert.fail('a failure must come back as a rejection, not a value');
    await assert.rejects(failure, (error: unknown) => error instanceof CofferError);
  }
});
