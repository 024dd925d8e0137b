import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineEngine, type Engine } from '../framework/engine.js';
import { lazyRegistry } from './engine-registry.js';

const engine = (type: string): Engine => defineEngine({ type, paths: [], help: '' });

test('a lazy registry knows its types without loading them, and loads each once', async () => {
  const imports: string[] = [];
  const registry = lazyRegistry({
    kv: async () => {
      imports.push('kv');
      return engine('kv');
    },
  });
  assert.equal(registry.has('kv'), true);
  assert.equal(registry.has('pki'), false);
  // Not a type because an object has the property: only the table's own keys count.
  assert.equal(registry.has('toString'), false);
  assert.deepEqual(imports, []);
  const [first, second] = await Promise.all([registry.load('kv'), registry.load('kv')]);
  assert.equal(first?.type, 'kv');
  assert.equal(first, second);
  assert.equal(await registry.load('kv'), first);
  assert.deepEqual(imports, ['kv']);
  assert.equal(await registry.load('pki'), undefined);
  assert.equal(await registry.load('toString'), undefined);
});

test('a failed import is tried again at the next load', async () => {
  let attempts = 0;
  const registry = lazyRegistry({
    kv: async () => {
      attempts++;
      if (attempts === 1) throw new Error('module not found');
      return engine('kv');
    },
  });
  await assert.rejects(registry.load('kv'), /module not found/);
  assert.equal((await registry.load('kv'))?.type, 'kv');
  assert.equal(attempts, 2);
});
