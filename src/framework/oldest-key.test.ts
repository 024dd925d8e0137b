import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OldestKey } from './oldest-key.js';

test('OldestKey follows insertion order across deletes, re-inserts, clears and compaction', () => {
  const map = new Map<string, number>();
  const oldest = new OldestKey(map);
  assert.equal(oldest.next(), undefined, 'an empty map has no oldest key');
  for (let i = 0; i < 5; i++) map.set(`k${i}`, i);
  assert.equal(oldest.next(), 'k0');
  map.delete('k0');
  // An LRU touch moves k1 to the end; k2 is now the oldest.
  map.delete('k1');
  map.set('k1', 1);
  assert.equal(oldest.next(), 'k2');
  map.delete('k2');
  // Many deletions and additions force V8 to compact the table under the open cursor.
  for (let i = 5; i < 5000; i++) {
    map.set(`k${i}`, i);
    const evict = oldest.next()!;
    map.delete(evict);
  }
  // Whatever is left comes out in insertion order.
  const expected = [...map.keys()];
  const seen: string[] = [];
  while (map.size > 0) {
    const key = oldest.next()!;
    seen.push(key);
    map.delete(key);
  }
  assert.deepEqual(seen, expected);
  map.set('fresh', 1);
  assert.equal(oldest.next(), 'fresh', 'after the map empties, a new entry is found');
});
