import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileArgs } from './profile-args.js';

test('every profile a glob names is summarised, with the numbers that follow them', () => {
  assert.deepEqual(profileArgs(['d/a.cpuprofile', 'd/b.cpuprofile', '30', '5']), {
    files: ['d/a.cpuprofile', 'd/b.cpuprofile'],
    top: 30,
    last: 5,
  });
  assert.deepEqual(profileArgs(['d/a.cpuprofile']), { files: ['d/a.cpuprofile'], top: 40, last: undefined });
});

test('no profile, or a word where a number goes, is a usage error', () => {
  assert.equal(profileArgs([]), undefined);
  assert.equal(profileArgs(['d/a.cpuprofile', 'forty']), undefined);
  assert.equal(profileArgs(['d/a.cpuprofile', '40', 'd/b.json']), undefined);
});
