import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagsPerBuild } from './build-flags.js';

test("each build gets its own segment's flags, split on spaces", () => {
  assert.deepEqual(flagsPerBuild('|--max-semi-space-size=1', 2), [[], ['--max-semi-space-size=1']]);
  assert.deepEqual(flagsPerBuild('--a  --b|--c', 2), [['--a', '--b'], ['--c']]);
});

test('without the option, or past its last segment, a build gets no flags', () => {
  assert.deepEqual(flagsPerBuild(undefined, 2), [[], []]);
  assert.deepEqual(flagsPerBuild('--a', 3), [['--a'], [], []]);
});
