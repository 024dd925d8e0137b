import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteDeadlines } from './deadlines.js';

test('a write that never answers fails after its deadline; answered writes pass through', async () => {
  // The deadline timer is unref'd (a server's listener keeps the process alive); so does this.
  const keepAlive = setTimeout(() => undefined, 2000);
  const deadlines = new WriteDeadlines(80);
  const started = performance.now();
  const hung = deadlines.bound(new Promise<void>(() => undefined));
  const quick = deadlines.bound(Promise.resolve());
  const failing = deadlines.bound(Promise.reject(new Error('disk full')));
  await quick;
  await assert.rejects(failing, /disk full/);
  await assert.rejects(hung, /did not answer within 80ms/);
  const waited = performance.now() - started;
  assert.ok(waited >= 79 && waited < 1000, `failed after ${waited.toFixed(0)} ms`);
  clearTimeout(keepAlive);
});
