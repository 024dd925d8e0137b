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
    ((await send('list', 'auth/token/accessors/', rootToken)).response?.data?.keys as string[] | undefined)
      ?.length ?? 0;
  const before = await accessors();
  assert.ok(before > 0, 'the root token is listed');

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

test("a disabled entity's token is refused everywhere: lookup, renew, capabilities, identity tokens", async () => {
  const { rootToken, send } = await startDevCore({ engines: [userpassEngine] });
  await send('update', 'sys/auth/userpass', rootToken, { type: 'userpass' });
  await send('update', 'sys/policies/acl/oidc', rootToken, {
    policy: 'path "identity/oidc/token/*" { capabilities = ["read"] }',
  });
  await send('update', 'auth/userpass/users/dan', rootToken, { password: 'pw', token_policies: 'oidc' });
  await send('update', 'identity/oidc/role/app', rootToken, { key: 'default' });
  const login = await send('update', 'auth/userpass/login/dan', undefined, { password: 'pw' });
  const token = login.auth?.client_token as string;
  const entityId = login.auth?.entity_id as string;
  const attempts: [Parameters<typeof send>[0], string, Record<string, unknown>][] = [
    ['read', 'auth/token/lookup-self', {}],
    ['update', 'auth/token/renew-self', {}],
    ['update', 'sys/capabilities-self', { paths: ['identity/oidc/token/app'] }],
    ['read', 'identity/oidc/token/app', {}],
    ['update', 'auth/token/create', {}],
  ];
  for (const [operation, path, data] of attempts.slice(0, 4))
    assert.ok((await send(operation, path, token, data)).response, `${path} works while enabled`);

  await send('update', `identity/entity/id/${entityId}`, rootToken, { disabled: true });
  for (const [operation, path, data] of attempts) {
    const status = await send(operation, path, token, data).then(
      () => 200,
      (error: unknown) => (error instanceof CofferError ? error.status : 500),
    );
    assert.equal(status, 403, `${path} with a disabled entity's token`);
  }
});
