import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagsPerBuild, nodePerBuild } from './build-flags.js';

test("each build gets its own segment's flags, split on spaces", () => {
  assert.deepEqual(flagsPerBuild('|--max-semi-space-size=1', 2), [[], ['--max-semi-space-size=1']]);
  assert.deepEqual(flagsPerBuild('--a  --b|--c', 2), [['--a', '--b'], ['--c']]);
});

test('without the option, or past its last segment, a build gets no flags', () => {
  assert.deepEqual(flagsPerBuild(undefined, 2), [[], []]);
  assert.deepEqual(flagsPerBuild('--a', 3), [['--a'], [], []]);
});

test("each build runs on its own segment's Node.js; an empty or missing segment means this one", () => {
  assert.deepEqual(nodePerBuild('|/opt/node24/bin/node', 2), [undefined, '/opt/node24/bin/node']);
  assert.deepEqual(nodePerBuild('/a/node|/b/node', 2), ['/a/node', '/b/node']);
  assert.deepEqual(nodePerBuild('/a/node', 3), ['/a/node', undefined, undefined]);
  assert.deepEqual(nodePerBuild(undefined, 2), [undefined, undefined]);
});
