import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageView } from '../framework/storage-view.js';
import { InmemBackend } from '../storage/inmem.js';
import { PolicyStore } from './policy-store.js';

test("a policy rewritten or deleted applies at once to a token's cached policy list", async () => {
  const store = new PolicyStore(new StorageView(new InmemBackend(), 'sys/policy/'));
  await store.write('app', 'path "a/*" { capabilities = ["read"] }');
  // A cached token entry brings the same frozen list on every request.
  const policies = Object.freeze(['app', 'default']);
  assert.deepEqual((await store.aclFor(policies)).capabilities('a/x'), ['read']);
  assert.equal(await store.aclFor(policies), await store.aclFor(policies), 'compiled once per list');

  await store.write('app', 'path "b/*" { capabilities = ["read"] }');
  assert.deepEqual((await store.aclFor(policies)).capabilities('a/x'), ['deny']);
  assert.deepEqual((await store.aclFor(policies)).capabilities('b/x'), ['read']);

  await store.delete('app');
  assert.deepEqual((await store.aclFor(policies)).capabilities('b/x'), ['deny']);
});
