/** A login whose identity write fails: the login fails cleanly and no token exists without its entity. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userpassEngine } from '../auth/userpass/index.js';
import type { TxOp } from '../storage/backend.js';
import { InmemBackend } from '../storage/inmem.js';
import { CofferError } from './errors.js';
import { startDevCore } from './testing.js';

/** Fails every write of an entity record while `failing` is set. */
class EntityWritesFail extends InmemBackend {
  failing = false;
  override transaction(ops: TxOp[]): Promise<void> {
    if (this.failing && ops.some((op) => op.key.includes('/entity/')))
      return Promise.reject(new Error('disk full at /srv/x'));
    return super.transaction(ops);
  }
}

test('a first login whose entity cannot be written fails with a 5xx and leaves no token', async () => {
  const physical = new EntityWritesFail();
  const { core, rootToken, send } = await startDevCore({ engines: [userpassEngine], physical });
  await send('update', 'sys/auth/userpass', rootToken, { type: 'userpass' });
  await send('update', 'auth/userpass/users/ann', rootToken, { password: 'pw' });
  const accessors = async () =>
    ((await send('list', 'auth/token/accessors/', rootToken)).response?.data?.keys as string[]).length;
  const before = await accessors();

  physical.failing = true;
  const failed = await send('update', 'auth/userpass/login/ann', undefined, { password: 'pw' }).then(
    () => assert.fail('the login succeeded without its entity'),
    (error: unknown) => error,
  );
  assert.ok(!(failed instanceof CofferError) || failed.status >= 500, String(failed));
  assert.equal(await accessors(), before, 'no token was minted');
  assert.deepEqual(core.unsealed.identity.entityIds(), []);

  physical.failing = false;
  const ok = await send('update', 'auth/userpass/login/ann', undefined, { password: 'pw' });
  const entityId = ok.auth?.entity_id as string;
  assert.ok(entityId);
  assert.deepEqual(core.unsealed.identity.entityIds(), [entityId]);
});
