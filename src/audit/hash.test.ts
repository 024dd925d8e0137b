/** What the audit HMAC hides and what it leaves readable, as Vault's hashstructure does. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { elideListData, hashEntry, hmacValue, isRfc3339, MAX_HASH_DEPTH } from './hash.js';

const SALT = 'c3b1d7a4-5f0e-4d2b-9a61-0f7e2c8d9b10';
const h = (value: string) => hmacValue(SALT, value);

test('hmacValue is hmac-sha256 of the value keyed with the salt string, in lower-case hex', () => {
  const expected = `hmac-sha256:${createHmac('sha256', Buffer.from(SALT, 'utf8')).update('s3cr3t').digest('hex')}`;
  assert.equal(hmacValue(SALT, 's3cr3t'), expected);
  assert.match(hmacValue(SALT, ''), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.notEqual(hmacValue('other-salt', 's3cr3t'), expected);
});

const cases: {
  name: string;
  input: Record<string, unknown>;
  keys?: string[];
  expect: Record<string, unknown>;
}[] = [
  {
    name: 'a top-level string is hashed',
    input: { password: 'hunter2' },
    expect: { password: h('hunter2') },
  },
  {
    name: 'strings at depth are hashed, map keys are not',
    input: { a: { b: { c: 'deep' } } },
    expect: { a: { b: { c: h('deep') } } },
  },
  {
    name: 'strings inside arrays and arrays of maps are hashed',
    input: { list: ['x', ['y'], { z: 'w' }] },
    expect: { list: [h('x'), [h('y')], { z: h('w') }] },
  },
  {
    name: 'numbers, booleans and null stay in clear',
    input: { n: 42, f: 1.5, t: true, no: false, nil: null, list: [1, false, null] },
    expect: { n: 42, f: 1.5, t: true, no: false, nil: null, list: [1, false, null] },
  },
  {
    name: 'RFC 3339 timestamps stay in clear',
    input: { created: '2024-05-01T10:00:00.123456789Z', at: '2024-05-01T10:00:00+02:00', d: '2024-05-01' },
    expect: {
      created: '2024-05-01T10:00:00.123456789Z',
      at: '2024-05-01T10:00:00+02:00',
      d: h('2024-05-01'),
    },
  },
  {
    name: 'a non-HMAC key keeps its whole subtree in clear, wherever the key appears',
    input: { username: 'alice', meta: { username: 'bob', x: 'y' }, tags: { a: ['b'] } },
    keys: ['username', 'tags'],
    expect: { username: 'alice', meta: { username: 'bob', x: h('y') }, tags: { a: ['b'] } },
  },
  {
    name: 'bytes are hashed as Go would marshal them (base64), a raw HTTP body as its text',
    input: { der: new Uint8Array([1, 2, 3]), http_raw_body: Buffer.from('pem') },
    expect: { der: h('AQID'), http_raw_body: h('pem') },
  },
  { name: 'an empty string is still hashed', input: { e: '' }, expect: { e: h('') } },
  { name: 'undefined members disappear as in JSON', input: { u: undefined, k: 1 }, expect: { k: 1 } },
];

for (const c of cases) {
  test(c.name, () => {
    assert.deepEqual(hashEntry(c.input, h, c.keys), c.expect);
  });
}

test('the input is never modified: the response still goes to the client', () => {
  const input = { a: 'x', nested: { list: ['y', { z: 'w' }] } };
  const before = structuredClone(input);
  const out = hashEntry(input, h);
  assert.deepEqual(input, before);
  assert.notEqual(out.nested, input.nested);
});

test('key order is kept', () => {
  assert.deepEqual(Object.keys(hashEntry({ z: '1', a: '2', m: { y: 1, b: 2 } }, h)), ['z', 'a', 'm']);
});

test('RFC 3339 follows Go strictness', () => {
  const ok = [
    '2024-02-29T23:59:59Z',
    '2024-05-01T10:00:00.1Z',
    '2024-05-01T10:00:00.123456789+02:00',
    '1999-12-31T00:00:00-23:59',
    '2000-02-29T00:00:00Z',
    // Go's calendar is proleptic Gregorian: year 0 is a leap year.
    '0000-02-29T00:00:00Z',
  ];
  const bad = [
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01 10:00:00Z',
    '2024-05-01T10:00:00',
    '2024-05-01T10:00:00+0200',
    '2024-05-01T10:00:00.Z',
    'x2024-05-01T10:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-05-01T10:60:00Z',
    '2024-05-01T10:00:00z',
    '2024-05-01T10:00:00Zx',
    '2024-05-01T10:00:00+24:00',
    '2024-05-01T10:00:00+02:60',
    '2024-05-01t10:00:00Z',
  ];
  for (const value of ok) assert.equal(isRfc3339(value), true, value);
  for (const value of bad) assert.equal(isRfc3339(value), false, value);
});

function nest(depth: number, leaf: unknown, inArray = false): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = inArray && i % 2 ? [value] : { k: value };
  return { root: value };
}

test('data nested 400 deep is hashed without recursion', () => {
  const out = hashEntry(nest(400, 'bottom', true), h);
  let cursor: unknown = out.root;
  let depth = 0;
  while (typeof cursor === 'object' && cursor !== null) {
    cursor = Array.isArray(cursor) ? cursor[0] : (cursor as { k: unknown }).k;
    depth++;
  }
  assert.equal(depth, 400);
  assert.equal(cursor, h('bottom'));
  // The line must still serialise.
  assert.ok(JSON.stringify(out).includes(h('bottom')));
});

test('nesting past the bound (or a cycle) fails instead of looping', () => {
  assert.throws(() => hashEntry(nest(MAX_HASH_DEPTH + 1, 'x'), h), /nested deeper than/);
  const cyclic: Record<string, unknown> = { a: 'x' };
  cyclic.self = cyclic;
  assert.throws(() => hashEntry(cyclic, h), /nested deeper than/);
});

test('elideListData replaces keys and key_info by their counts and leaves the rest', () => {
  const data = { keys: ['a', 'b', 'c'], key_info: { a: {}, b: {} }, other: 'x' };
  assert.deepEqual(elideListData(data), { keys: 3, key_info: 2, other: 'x' });
  assert.deepEqual(data.keys, ['a', 'b', 'c']);
});
