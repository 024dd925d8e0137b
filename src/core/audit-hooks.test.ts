import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditIdentityOf } from './audit-hooks.js';
import type { TokenEntry } from './token/store.js';

const entryOf = (entityId?: string) => ({ accessor: 'a', policies: ['default'], entityId }) as TokenEntry;

test("a token's audit cache key: its entry, or while its entity's policy list is the same one, a kept key", () => {
  const plain = entryOf();
  assert.equal(auditIdentityOf(plain, []), plain);
  assert.equal(auditIdentityOf(undefined, []), undefined);

  const withEntity = entryOf('entity-1');
  const policies = ['shared'];
  const key = auditIdentityOf(withEntity, policies);
  assert.ok(key && key !== withEntity);
  assert.equal(auditIdentityOf(withEntity, policies), key, 'the same list: the serialized block is reused');
  // An identity write resolves the entity again: a new list, even with the same names, is a new key.
  const changed = auditIdentityOf(withEntity, ['shared']);
  assert.notEqual(changed, key);
  assert.notEqual(auditIdentityOf(entryOf('entity-1'), policies), key, 'another token entry');
});
