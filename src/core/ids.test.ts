import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base62, hashOfName, timeOrderedBase62, timeOrderedName, timePrefixOf } from './ids.js';

test('base62 gives the asked length from the 62-letter alphabet, fresh on every call', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = base62(24);
    assert.match(id, /^[A-Za-z0-9]{24}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
  assert.equal(base62(0), '');
});

test('base62 letters are uniform: no letter is favoured by the modulo (rejection sampling)', () => {
  // 310,000 letters: each of the 62 is expected 5,000 times (sd ~70). Without rejection, bytes 248-255
  // would map onto the first 8 letters, which would come ~6,050 times against ~4,840 for the others.
  const counts = new Map<string, number>();
  for (const letter of base62(310_000)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const [letter, count] of counts) assert.ok(count > 4_650 && count < 5_350, `${letter}: ${count}`);
  const first8 = [...'ABCDEFGH'].reduce((sum, l) => sum + (counts.get(l) ?? 0), 0) / 8;
  const rest = [...counts].filter(([l]) => !'ABCDEFGH'.includes(l)).reduce((s, [, c]) => s + c, 0) / 54;
  assert.ok(first8 / rest < 1.03, `first 8 letters ${first8} vs others ${rest}`);
});

test('time-ordered identifiers sort by their time, keep the alphabet and length, and differ within a millisecond', () => {
  const times = [0, 61, 62, 1_796_279_311_000, 1_796_279_311_001, 1_796_279_372_000, 3_000_000_000_000];
  const ids = times.map((ms) => timeOrderedBase62(ms, 24));
  for (const id of ids) assert.match(id, /^[A-Za-z0-9]{24}$/);
  // JavaScript's default sort compares UTF-16 code units, which for these letters is the byte order
  // a storage index sorts keys in.
  assert.deepEqual([...ids].sort(), ids);
  assert.notEqual(timeOrderedBase62(5, 24), timeOrderedBase62(5, 24));
  assert.equal(timeOrderedBase62(5, 24).slice(0, 7), '0000005');
});

test('time-ordered index names sort by time and give back their hash; hash-only names too', () => {
  const names = [1_000, 4_096, 1_796_279_311_000].map((ms) => timeOrderedName(ms, 'ab12'));
  assert.deepEqual([...names].sort(), names);
  assert.equal(names[1], '000000001000.ab12');
  for (const name of names) assert.equal(hashOfName(name), 'ab12');
  assert.equal(hashOfName('ab12'), 'ab12');
});

test("an id's time prefix is its first 7 characters when they are base62, else none", () => {
  const id = timeOrderedBase62(Date.UTC(2026, 11, 3), 24);
  assert.equal(timePrefixOf(id), id.slice(0, 7));
  assert.equal(timePrefixOf('abc-def1234'), undefined, 'a dash within the first 7');
  assert.equal(timePrefixOf('abc12'), undefined, 'shorter than 7');
  assert.equal(timePrefixOf(''), undefined);
});
