/** Which lease id a `sys/leases/renew|revoke` request acts on: the one its ACL check saw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../errors.js';
import { leaseIdOf } from './leases.js';

test('the body or the URL names the lease; both may name the same one', () => {
  assert.equal(leaseIdOf({ lease_id: 'db/creds/a/1' }), 'db/creds/a/1');
  assert.equal(leaseIdOf({ url_lease_id: 'db/creds/a/1' }), 'db/creds/a/1');
  assert.equal(leaseIdOf({ lease_id: 'db/creds/a/1', url_lease_id: 'db/creds/a/1' }), 'db/creds/a/1');
});

test('a body lease id that differs from the URL one (which the policy allowed) is refused', () => {
  assert.throws(
    () => leaseIdOf({ lease_id: 'db/creds/other/2', url_lease_id: 'db/creds/mine/x' }),
    (error: unknown) => error instanceof CofferError && error.status === 400,
  );
  assert.throws(() => leaseIdOf({}), /lease_id must be specified/);
});
