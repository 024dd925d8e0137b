import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinEngineLoaders } from './registry.js';

test('each built-in loader returns the engine of the type it is listed under', async () => {
  for (const [type, load] of Object.entries(builtinEngineLoaders)) {
    assert.equal((await load()).type, type);
  }
});
