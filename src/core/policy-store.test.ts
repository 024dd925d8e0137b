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

test('a policy write that fails after storage applied it is not enforced from the old text (G3)', async () => {
  const physical = new InmemBackend();
  const store = new PolicyStore(new StorageView(physical, 'sys/policy/'));
  await store.write('app', 'path "a/*" { capabilities = ["read"] }');
  const policies = Object.freeze(['app']);
  assert.deepEqual((await store.aclFor(policies)).capabilities('a/x'), ['read']);
  // The commit lands but its acknowledgement is lost: the caller sees an error, storage has the new text.
  const transaction = physical.transaction.bind(physical);
  physical.transaction = async (ops) => {
    await transaction(ops);
    physical.transaction = transaction;
    throw new Error('connection lost');
  };
  await assert.rejects(store.write('app', 'path "b/*" { capabilities = ["read"] }'));
  assert.equal((await store.read('app'))?.raw, 'path "b/*" { capabilities = ["read"] }');
  assert.deepEqual(
    (await store.aclFor(policies)).capabilities('a/x'),
    ['deny'],
    'what is stored is enforced',
  );
  assert.deepEqual((await store.aclFor(policies)).capabilities('b/x'), ['read']);
});
