/** The response body's JSON, byte for byte as Vault's Go encoder writes it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goJson } from './envelope.js';

test('goJson escapes <, >, &, U+2028 and U+2029 as Go does, and ends with a newline', () => {
  assert.equal(goJson({ a: '<b>&c' }), '{"a":"\\u003cb\\u003e\\u0026c"}\n');
  // Each alone too: none is missed when it is the only one.
  for (const [c, escaped] of [
    ['<', '\\u003c'],
    ['>', '\\u003e'],
    ['&', '\\u0026'],
    ['\u2028', '\\u2028'],
    ['\u2029', '\\u2029'],
  ])
    assert.equal(goJson({ a: `x${c}y` }), `{"a":"x${escaped}y"}\n`);
  // One escapable character anywhere, even in a key, escapes every one of them.
  assert.equal(goJson({ '<k>': ['&', 'plain'] }), '{"\\u003ck\\u003e":["\\u0026","plain"]}\n');
});

test('goJson leaves JSON without those characters as JSON.stringify writes it', () => {
  const value = { request_id: 'r', data: { value: 'é "quoted" \\ / \n', n: 1, none: null }, warnings: [] };
  assert.equal(goJson(value), `${JSON.stringify(value)}\n`);
});
