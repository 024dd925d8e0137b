import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ABSENT, ByteLru, MISS } from './lru.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
/** The cached bytes of a key the test knows is cached with a value. */
function cached(lru: ByteLru, key: string): Uint8Array {
  const value = lru.get(key);
  assert.ok(value instanceof Uint8Array, `${key} is cached with a value`);
  return value;
}

test('the least recently used entry goes first, and a hit makes an entry recent', () => {
  const lru = new ByteLru(30, 0);
  lru.set('a', bytes(3));
  lru.set('b', bytes(3));
  lru.set('c', bytes(3));
  assert.ok(lru.get('a'), 'a is used, so b is now the oldest');
  lru.set('d', bytes(3)); // 12 bytes > 30? no: still fits
  lru.set('big', bytes(3)); // 15
  lru.set('e', bytes(3)); // 18
  lru.set('f', bytes(3)); // 21
  lru.set('g', bytes(3)); // 24
  lru.set('h', bytes(3)); // 27
  lru.set('i', bytes(3)); // 30
  lru.set('j', bytes(3)); // 33: evicts the oldest, b
  assert.equal(lru.get('b'), undefined);
  assert.ok(lru.get('a'));
  assert.ok(lru.get('c'));
});

test('each entry also counts its overhead and key', () => {
  const lru = new ByteLru(1000, 100);
  for (let i = 0; i < 10; i++) lru.set(`key${i}`, bytes(1));
  // Each costs 1 + 100 + 2 x 4 = 109 bytes: nine fit in 1000, the tenth evicts the first.
  assert.equal(lru.get('key0'), undefined);
  assert.ok(lru.get('key1'));
});

test('values are copies, a re-set replaces, a delete removes, and clear empties', () => {
  const lru = new ByteLru(100, 0);
  const value = bytes(4, 7);
  lru.set('k', value);
  value[0] = 0;
  const out = cached(lru, 'k');
  assert.equal(out[0], 7, 'the cache kept its own copy');
  out[1] = 0;
  assert.equal(cached(lru, 'k')[1], 7, 'and hands out copies');
  lru.set('k', bytes(2, 9));
  assert.deepEqual([...cached(lru, 'k')], [9, 9]);
  lru.delete('k');
  assert.equal(lru.get('k'), undefined);
  lru.set('x', bytes(2));
  lru.clear();
  assert.equal(lru.get('x'), undefined);
  assert.equal(lru.json('x'), MISS);
});

test('a parsed JSON value counts against the bound and is evicted with its entry', () => {
  const text = new TextEncoder().encode(JSON.stringify({ v: 'x'.repeat(10) }));
  const lru = new ByteLru(text.length * 8 + 8, 0);
  lru.set('one', text);
  assert.deepEqual(lru.json('one'), { v: 'x'.repeat(10) }); // costs 4x now
  lru.set('two', text);
  lru.set('three', text);
  assert.ok(lru.get('one'), 'all fit so far: 6x');
  lru.get('two');
  lru.get('three');
  // Parsing two adds 3x: 9x is over the bound, and the least recent entry, one, goes.
  assert.deepEqual(lru.json('two'), { v: 'x'.repeat(10) });
  assert.equal(lru.json('one'), MISS);
  assert.ok(lru.get('three'));
});

test('a key can be cached as absent, and a value replaces that', () => {
  const lru = new ByteLru(100, 0);
  lru.set('gone', ABSENT);
  assert.equal(lru.get('gone'), ABSENT);
  assert.equal(lru.json('gone'), undefined, 'known absent, not a miss');
  assert.equal(lru.json('never'), MISS);
  lru.set('gone', new TextEncoder().encode('{"a":1}'));
  assert.deepEqual(lru.json('gone'), { a: 1 });
});
