/**
 * The built-in engines exist once, at their own path (Vault's singletonMounts and untunableMounts): no
 * second identity, system, token or cubbyhole mount, and identity/ is not tuned, moved or disabled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../errors.js';
import { newMountEntry } from '../mounts.js';
import { startDevCore } from '../testing.js';

const { core, rootToken, send, unseal } = await startDevCore({ engines: [] });

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CofferError) return { status: error.status, message: error.message };
    throw error;
  }
  return assert.fail('the request succeeded');
}

const entityIds = async () =>
  ((await send('list', 'identity/entity/id/', rootToken)).response?.data?.keys as string[]) ?? [];

for (const type of ['identity', 'system', 'token', 'cubbyhole']) {
  test(`a second ${type} mount is refused with Vault's 403`, async () => {
    assert.deepEqual(await refusal(send('update', `sys/mounts/second-${type}`, rootToken, { type })), {
      status: 403,
      message: `mount type of "${type}" is not mountable`,
    });
    assert.equal((await send('read', `sys/mounts/second-${type}`, rootToken)).response, undefined);
  });
}

for (const type of ['identity', 'system', 'cubbyhole']) {
  test(`a built-in ${type} engine cannot be enabled as an auth method`, async () => {
    const { status } = await refusal(send('update', `sys/auth/as-${type}`, rootToken, { type }));
    assert.equal(status, 400);
    assert.equal((await send('read', `sys/auth/as-${type}`, rootToken)).response, undefined);
  });
}

test('the identity store keeps its entities after a refused second identity mount', async () => {
  const made = await send('update', 'identity/entity', rootToken, { name: 'kept', policies: ['p'] });
  const id = made.response?.data?.id as string;
  await refusal(send('update', 'sys/mounts/shadow', rootToken, { type: 'identity' }));
  assert.ok((await entityIds()).includes(id));
  await send('update', `identity/entity/id/${id}`, rootToken, { policies: ['q'] });
  const read = await send('read', `identity/entity/id/${id}`, rootToken);
  assert.deepEqual(read.response?.data?.policies, ['q']);
});

for (const path of ['identity', 'sys', 'cubbyhole']) {
  test(`${path}/ cannot be tuned, as in Vault`, async () => {
    const body = { default_lease_ttl: '1h' };
    assert.deepEqual(await refusal(send('update', `sys/mounts/${path}/tune`, rootToken, body)), {
      status: 400,
      message: `cannot tune "${path}/"`,
    });
  });
}

test('identity/ cannot be disabled or moved', async () => {
  assert.equal((await refusal(send('delete', 'sys/mounts/identity', rootToken))).status, 400);
  const moved = send('update', 'sys/remount', rootToken, { from: 'identity', to: 'elsewhere' });
  assert.equal((await refusal(moved)).status, 400);
});

test('a second identity mount already in the mount table is not started at unseal, and can be disabled', async () => {
  const made = await send('update', 'identity/entity', rootToken, { name: 'survivor' });
  const id = made.response?.data?.id as string;
  // As a table written before second built-in mounts were refused would hold it.
  await core.unsealed.mounts.table.add(newMountEntry('mounts', 'stray/', 'identity'));
  await core.sealVault();
  await unseal();
  assert.ok((await entityIds()).includes(id), 'the identity store still reads identity/');
  await send('update', `identity/entity/id/${id}`, rootToken, { policies: ['after'] });
  const read = await send('read', `identity/entity/id/${id}`, rootToken);
  assert.deepEqual(read.response?.data?.policies, ['after']);
  await send('delete', 'sys/mounts/stray', rootToken);
  assert.equal((await send('read', 'sys/mounts/stray', rootToken)).response, undefined);
  assert.ok((await entityIds()).includes(id));
});
