import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_JSON_LIMITS } from './json-limits.js';
import { hasBadSegment, parseBody, parseTarget } from './parse-request.js';

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

/** The rule as the segments state it: none empty, `.` or `..`, except one trailing empty segment. */
function badBySegments(path: string): boolean {
  const segments = path.split('/');
  const inner = path.endsWith('/') ? segments.slice(0, -1) : segments;
  return inner.some((s) => s === '' || s === '.' || s === '..');
}

test('every path of up to seven characters from a, ., / is judged as its segments say', () => {
  let paths = [''];
  let checked = 0;
  for (let length = 0; length <= 7; length++) {
    for (const path of paths) {
      assert.equal(hasBadSegment(path), badBySegments(path), JSON.stringify(path));
      checked++;
    }
    paths = paths.flatMap((p) => [`${p}a`, `${p}.`, `${p}/`]);
  }
  assert.equal(checked, (3 ** 8 - 1) / 2);
});

test('a target with an empty, . or .. segment is a 400; dots inside a name and one trailing / are fine', () => {
  for (const url of [
    '/v1/secret//x',
    '/v1//secret',
    '/v1/secret/./x',
    '/v1/secret/../sys',
    '/v1/a/..',
    '/v1/',
  ])
    assert.throws(() => parseTarget(url), { code: 'invalid_request', message: 'invalid path' }, url);
  assert.equal(parseTarget('/v1/secret/data/app.config/')?.path, 'secret/data/app.config/');
  assert.equal(parseTarget('/v1/secret/...x?list=true')?.path, 'secret/...x');
  // Decoded once, then judged: an escaped `..` is still `..`.
  assert.throws(() => parseTarget('/v1/secret/%2e%2e/sys'), { message: 'invalid path' });
});
