import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_JSON_LIMITS } from './json-limits.js';
import { parseBody } from './parse-request.js';

const FORM = 'application/x-www-form-urlencoded';
const refused = (error: Error & { code?: string }) =>
  error.code === 'invalid_request' && error.message === 'refused form input due to high complexity';

test('a form body is parsed into fields; a repeated key joins its values with commas', () => {
  const data = parseBody(Buffer.from('password=s%3Dcret&policies=a&policies=b'), FORM);
  assert.deepEqual({ ...data }, { password: 's=cret', policies: 'a,b' });
});

test('a form body with more pairs than the JSON string limit allows is refused before decoding', () => {
  const pairs = DEFAULT_JSON_LIMITS.maxStrings / 2 + 1;
  const body = Buffer.from(Array.from({ length: pairs }, (_, i) => `k${i}=v`).join('&'));
  assert.throws(() => parseBody(body, FORM), refused);
  const atLimit = Buffer.from(Array.from({ length: pairs - 1 }, (_, i) => `k${i}=v`).join('&'));
  assert.equal(Object.keys(parseBody(atLimit, FORM)).length, pairs - 1);
});

test('a form key or value longer than a JSON string may be is refused', () => {
  const long = 'a'.repeat(DEFAULT_JSON_LIMITS.maxStringBytes + 1);
  assert.throws(() => parseBody(Buffer.from(`policy=${long}`), FORM), refused);
  assert.throws(() => parseBody(Buffer.from(`${long}=1`), FORM), refused);
  // Percent-encoding counts decoded: 1 MiB of "%61" is a third of the limit.
  const encoded = '%61'.repeat(DEFAULT_JSON_LIMITS.maxStringBytes / 3);
  assert.equal(
    (parseBody(Buffer.from(`policy=${encoded}`), FORM).policy as string).length,
    encoded.length / 3,
  );
});

test('a __proto__ form key is an ordinary field, never a prototype', () => {
  const data = parseBody(Buffer.from('__proto__=polluted&constructor=x'), FORM);
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.equal(Object.hasOwn(data, '__proto__'), true);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
