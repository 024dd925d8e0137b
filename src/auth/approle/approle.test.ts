import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Barrier } from '../../barrier/barrier.js';
import { FakeClock } from '../../framework/clock.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import { StorageView } from '../../framework/storage-view.js';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import type { StorageBackend } from '../../storage/backend.js';
import { InmemBackend } from '../../storage/inmem.js';
import { createApproleEngine } from './index.js';
import { INVALID_CREDENTIALS } from './paths/login.js';
import { tidySecretIds } from './paths/tidy.js';
import { newRole, saveRole } from './roles.js';
import { SecretIds } from './secret-ids.js';

async function setup() {
  const clock = new FakeClock();
  const engine = createApproleEngine();
  const mount = await mountForTest(engine, { clock, mountPath: 'approle/' });
  return { engine, mount, clock };
}

/** A mount on an unsealed barrier, whose cache shares one frozen copy of an entry with its readers. */
async function setupOnBarrier() {
  const barrier = new Barrier(new InmemBackend());
  await barrier.initialize(randomBytes(32));
  const engine = createApproleEngine();
  const mount = await mountForTest(engine, { mountPath: 'approle/', backend: barrier });
  return { engine, mount };
}

async function roleWithSecret(
  mount: TestMount,
  name: string,
  role: Record<string, unknown> = {},
  secret = {},
) {
  await mount.request('update', `role/${name}`, { token_policies: 'app', ...role });
  const roleId = (await mount.request('read', `role/${name}/role-id`))?.data?.role_id as string;
  const issued = (await mount.request('update', `role/${name}/secret-id`, secret))?.data ?? {};
  return { roleId, secretId: issued.secret_id as string, accessor: issued.secret_id_accessor as string };
}

function login(
  engine: ReturnType<typeof createApproleEngine>,
  mount: TestMount,
  data: object,
  clientAddr = '127.0.0.1',
) {
  return engine.handleRequest(mount.ctx, {
    id: randomUUID(),
    operation: 'update',
    path: 'login',
    data: { ...data },
    mountPoint: 'auth/approle/',
    clientAddr,
  });
}

describe('approle roles', () => {
  test('defaults on create, read, list, case-insensitive names', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/MyApp', { token_policies: 'app' });
    const data = (await mount.request('read', 'role/myapp'))?.data;
    assert.equal(data?.bind_secret_id, true);
    assert.equal(data?.local_secret_ids, false);
    assert.equal(data?.secret_id_num_uses, 0);
    assert.deepEqual(data?.token_policies, ['app']);
    assert.deepEqual((await mount.request('read', 'role/MYAPP'))?.data, data);
    assert.deepEqual((await mount.request('list', 'role/'))?.data?.keys, ['myapp']);
  });

  test('an update keeps what it does not name; bind_secret_id is not reset to its default', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/a', { bind_secret_id: false, secret_id_bound_cidrs: '10.0.0.0/8' });
    await mount.request('update', 'role/a', { secret_id_ttl: '10m' });
    const data = (await mount.request('read', 'role/a'))?.data;
    assert.equal(data?.bind_secret_id, false);
    assert.equal(data?.secret_id_ttl, 600);
  });

  const invalidRoles = [
    { name: 'no constraint at all', body: { bind_secret_id: false } },
    { name: 'a malformed CIDR', body: { secret_id_bound_cidrs: '10.0.0.0/33' } },
    { name: 'negative secret_id_num_uses', body: { secret_id_num_uses: -1 } },
    { name: 'period and token_period together', body: { period: 60, token_period: 60 } },
    { name: 'an empty role_id', body: { role_id: '' } },
  ];
  for (const c of invalidRoles) {
    test(`a role with ${c.name} is refused with 400`, async () => {
      const { mount } = await setup();
      assert.equal((await rejection(mount.request('update', 'role/bad', c.body))).status, 400);
    });
  }

  test('local_secret_ids is fixed at creation', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/a', { local_secret_ids: true });
    assert.equal((await mount.request('read', 'role/a'))?.data?.local_secret_ids, true);
    assert.equal(
      (await rejection(mount.request('update', 'role/a', { local_secret_ids: false }))).status,
      400,
    );
  });

  test('custom role IDs are unique across roles', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/a', { role_id: 'shared-id' });
    await rejection(mount.request('update', 'role/b', { role_id: 'shared-id' }));
    await mount.request('update', 'role/b', {});
    await rejection(mount.request('update', 'role/b/role-id', { role_id: 'shared-id' }));
    await mount.request('update', 'role/a/role-id', { role_id: 'new-id' });
    assert.equal((await mount.request('read', 'role/A/role-id'))?.data?.role_id, 'new-id');
  });

  test('setting the role ID of a role that does not exist is a 404, as in Vault', async () => {
    const { mount } = await setup();
    const refused = await rejection(mount.request('update', 'role/nope/role-id', { role_id: 'x' }));
    assert.deepEqual([refused.status, refused.message], [404, 'unsupported path']);
    assert.equal((await rejection(mount.request('update', 'role/nope/role-id', {}))).status, 404);
  });

  test('deleting a role deletes its secret IDs and its role ID', async () => {
    const { engine, mount } = await setup();
    const { roleId, secretId } = await roleWithSecret(mount, 'a');
    await mount.request('delete', 'role/A');
    await rejection(login(engine, mount, { role_id: roleId, secret_id: secretId }));
    assert.equal((await mount.ctx.storage.list('secret_id/')).length, 0);
    assert.equal((await mount.ctx.storage.list('accessor/')).length, 0);
  });
});

describe('approle secret IDs', () => {
  test('issued secret IDs are stored only as HMACs', async () => {
    const { mount } = await setup();
    const { roleId, secretId } = await roleWithSecret(mount, 'a');
    const dump: string[] = [];
    const walk = async (prefix: string) => {
      for (const key of await mount.ctx.storage.list(prefix)) {
        if (key.endsWith('/')) await walk(prefix + key);
        else dump.push(prefix + key, new TextDecoder().decode(await mount.ctx.storage.get(prefix + key)));
      }
    };
    await walk('');
    const all = dump.join('\n');
    assert.equal(all.includes(secretId), false);
    assert.equal(
      dump
        .filter((s) => s.startsWith('role_id/'))
        .join()
        .includes(roleId),
      false,
    );
  });

  test('issue, list accessors, look up by value and by accessor, destroy', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/a', {});
    const issued = (
      await mount.request('update', 'role/a/secret-id', { metadata: '{"host":"web1"}', num_uses: 3 })
    )?.data;
    assert.equal(issued?.secret_id_num_uses, 3);
    assert.equal(issued?.secret_id_ttl, 0);
    assert.deepEqual((await mount.request('list', 'role/a/secret-id/'))?.data?.keys, [
      issued?.secret_id_accessor,
    ]);
    const byValue = (
      await mount.request('update', 'role/a/secret-id/lookup', { secret_id: issued?.secret_id })
    )?.data;
    assert.deepEqual(byValue?.metadata, { host: 'web1' });
    assert.equal(byValue?.expiration_time, '0001-01-01T00:00:00Z');
    const byAccessor = await mount.request('update', 'role/a/secret-id-accessor/lookup', {
      secret_id_accessor: issued?.secret_id_accessor,
    });
    assert.deepEqual(byAccessor?.data, byValue);
    await mount.request('update', 'role/a/secret-id/destroy', { secret_id: issued?.secret_id });
    assert.equal(
      await mount.request('update', 'role/a/secret-id/lookup', { secret_id: issued?.secret_id }),
      undefined,
    );
  });

  test("custom secret IDs, and a duplicate is refused with Vault's 500", async () => {
    const { engine, mount } = await setup();
    await mount.request('update', 'role/a', {});
    await mount.request('update', 'role/a/custom-secret-id', { secret_id: 'my-own-secret' });
    const duplicate = await rejection(
      mount.request('update', 'role/a/custom-secret-id', { secret_id: 'my-own-secret' }),
    );
    assert.deepEqual(
      [duplicate.status, duplicate.message],
      [500, 'failed to store secret_id: SecretID is already registered'],
    );
    await rejection(mount.request('update', 'role/a/custom-secret-id', { secret_id: ' padded ' }));
    const roleId = (await mount.request('read', 'role/a/role-id'))?.data?.role_id;
    assert.ok((await login(engine, mount, { role_id: roleId, secret_id: 'my-own-secret' }))?.auth);
  });

  const narrowing = [
    { name: 'more uses than the role allows', role: { secret_id_num_uses: 2 }, body: { num_uses: 3 } },
    {
      name: 'unlimited uses when the role limits them',
      role: { secret_id_num_uses: 2 },
      body: { num_uses: 0 },
    },
    { name: 'a longer ttl than the role allows', role: { secret_id_ttl: 60 }, body: { ttl: 120 } },
    {
      name: 'a cidr_list outside the role',
      role: { secret_id_bound_cidrs: '10.0.0.0/8' },
      body: { cidr_list: '11.0.0.0/8' },
    },
    {
      name: 'a wider cidr_list than the role',
      role: { secret_id_bound_cidrs: '10.0.0.0/16' },
      body: { cidr_list: '10.0.0.0/8' },
    },
    { name: 'malformed metadata', role: {}, body: { metadata: 'not json' } },
  ];
  for (const c of narrowing) {
    test(`a secret ID with ${c.name} is refused with 400`, async () => {
      const { mount } = await setup();
      await mount.request('update', 'role/a', c.role);
      assert.equal((await rejection(mount.request('update', 'role/a/secret-id', c.body))).status, 400);
    });
  }

  test('a secret ID ttl above the mount max is capped', async () => {
    const { mount } = await setup();
    await mount.request('update', 'role/a', {});
    const issued = await mount.request('update', 'role/a/secret-id', { ttl: 10 * 768 * 3600 });
    assert.equal(issued?.data?.secret_id_ttl, 768 * 3600);
  });

  test("role A's accessor endpoints cannot see or destroy role B's secret ID (CVE-2023-24999)", async () => {
    const { engine, mount } = await setup();
    await roleWithSecret(mount, 'a');
    const b = await roleWithSecret(mount, 'b');
    const destroy = await rejection(
      mount.request('update', 'role/a/secret-id-accessor/destroy', { secret_id_accessor: b.accessor }),
    );
    assert.equal(destroy.status, 403);
    const lookup = await rejection(
      mount.request('update', 'role/a/secret-id-accessor/lookup', { secret_id_accessor: b.accessor }),
    );
    assert.equal(lookup.status, 404);
    assert.ok((await login(engine, mount, { role_id: b.roleId, secret_id: b.secretId }))?.auth);
    await mount.request('update', 'role/b/secret-id-accessor/destroy', { secret_id_accessor: b.accessor });
    await rejection(login(engine, mount, { role_id: b.roleId, secret_id: b.secretId }));
  });

  test('an expired secret ID, before any tidy: lookup answers nothing, its accessor is unknown and unlisted', async () => {
    const { mount, clock } = await setup();
    await mount.request('update', 'role/a', {});
    const keep = (await mount.request('update', 'role/a/secret-id', {}))?.data;
    const gone = (await mount.request('update', 'role/a/secret-id', { ttl: 60 }))?.data;
    clock.advance(60_000);
    const byValue = { secret_id: gone?.secret_id };
    assert.equal(await mount.request('update', 'role/a/secret-id/lookup', byValue), undefined);
    const byAccessor = await rejection(
      mount.request('update', 'role/a/secret-id-accessor/lookup', {
        secret_id_accessor: gone?.secret_id_accessor,
      }),
    );
    assert.equal(byAccessor.status, 404);
    assert.deepEqual((await mount.request('list', 'role/a/secret-id/'))?.data?.keys, [
      keep?.secret_id_accessor,
    ]);
  });

  test('tidy removes expired secret IDs and dangling accessors', async () => {
    const { mount, clock } = await setup();
    await mount.request('update', 'role/a', {});
    await mount.request('update', 'role/a/secret-id', { ttl: 60 });
    const keep = (await mount.request('update', 'role/a/secret-id', {}))?.data;
    await mount.ctx.storage.putJson('accessor/dangling', { roleName: 'a', secretIdHmac: 'ab' });
    clock.advance(61_000);
    assert.equal(await tidySecretIds(mount.ctx, new SecretIds(new KeyedMutex())), 2);
    assert.deepEqual((await mount.request('list', 'role/a/secret-id/'))?.data?.keys, [
      keep?.secret_id_accessor,
    ]);
    const started = await mount.request('update', 'tidy/secret-id');
    assert.equal(started?.httpStatus, 202);
  });

  test('tidy keeps the accessors of a role created after it listed the roles', async () => {
    const { mount } = await setup();
    const a = await roleWithSecret(mount, 'late');
    // A tidy pass whose role listing predates role "late" (the race with a concurrent role write).
    assert.equal(await new SecretIds(new KeyedMutex()).tidy(mount.ctx, []), 0);
    const found = await mount.request('update', 'role/late/secret-id-accessor/lookup', {
      secret_id_accessor: a.accessor,
    });
    assert.equal(found?.data?.secret_id_accessor, a.accessor);
  });
});

describe("approle: secret ID endpoints of a role that does not exist (Vault's statuses)", () => {
  const cases: [string, 'list' | 'update', string, Record<string, string>, number][] = [
    ['listing its secret IDs', 'list', 'secret-id/', {}, 400],
    ['issuing a secret ID', 'update', 'secret-id', {}, 404],
    ['registering a custom secret ID', 'update', 'custom-secret-id', { secret_id: 's' }, 404],
    ['looking up a secret ID', 'update', 'secret-id/lookup', { secret_id: 's' }, 500],
    ['destroying a secret ID', 'update', 'secret-id/destroy', { secret_id: 's' }, 500],
    ['looking up an accessor', 'update', 'secret-id-accessor/lookup', { secret_id_accessor: 'a' }, 500],
    ['destroying by accessor', 'update', 'secret-id-accessor/destroy', { secret_id_accessor: 'a' }, 500],
  ];
  for (const [name, op, path, body, status] of cases) {
    test(`${name}: ${status} 'role "Nope" does not exist' (the name as sent)`, async () => {
      const { mount } = await setup();
      const refused = await rejection(mount.request(op, `role/Nope/${path}`, body));
      assert.deepEqual([refused.status, refused.message], [status, 'role "Nope" does not exist']);
    });
  }
});

describe('approle login', () => {
  test('the auth block: policies, metadata with role_name, alias by role ID', async () => {
    const { engine, mount } = await setup();
    await mount.request('update', 'role/web', { token_policies: 'app', token_ttl: '1h' });
    const roleId = (await mount.request('read', 'role/web/role-id'))?.data?.role_id;
    const secretId = (await mount.request('update', 'role/web/secret-id', { metadata: { env: 'prod' } }))
      ?.data?.secret_id;
    const auth = (await login(engine, mount, { role_id: roleId, secret_id: secretId }))?.auth;
    assert.deepEqual(auth?.policies, ['app']);
    assert.deepEqual(auth?.metadata, { env: 'prod', role_name: 'web' });
    assert.equal(auth?.alias?.name, roleId);
    assert.equal(auth?.ttlSeconds, 3600);
  });

  const failures = [
    {
      name: 'no role_id',
      body: (_r: string, _s: string) => ({ secret_id: 'x' }),
      message: 'missing role_id',
    },
    {
      name: 'an unknown role_id',
      body: (_r: string, s: string) => ({ role_id: 'nope', secret_id: s }),
      message: INVALID_CREDENTIALS,
    },
    { name: 'no secret_id', body: (r: string) => ({ role_id: r }), message: 'missing secret_id' },
    {
      name: 'a wrong secret_id',
      body: (r: string) => ({ role_id: r, secret_id: randomUUID() }),
      message: INVALID_CREDENTIALS,
    },
  ];
  for (const c of failures) {
    test(`login with ${c.name} is a 400`, async () => {
      const { engine, mount } = await setup();
      const { roleId, secretId } = await roleWithSecret(mount, 'a');
      const error = await rejection(login(engine, mount, c.body(roleId, secretId)));
      assert.equal(error.status, 400);
      assert.equal(error.message, c.message);
    });
  }

  test('an expired secret ID no longer logs in', async () => {
    const { engine, mount, clock } = await setup();
    const { roleId, secretId } = await roleWithSecret(mount, 'a', {}, { ttl: 60 });
    clock.advance(60_000);
    assert.equal(
      (await rejection(login(engine, mount, { role_id: roleId, secret_id: secretId }))).status,
      400,
    );
  });

  test('a 3-use secret ID logs in exactly 3 times', async () => {
    const { engine, mount } = await setup();
    const { roleId, secretId } = await roleWithSecret(mount, 'a', {}, { num_uses: 3 });
    for (let i = 0; i < 3; i++)
      assert.ok(await login(engine, mount, { role_id: roleId, secret_id: secretId }));
    await rejection(login(engine, mount, { role_id: roleId, secret_id: secretId }));
  });

  test("behind the barrier's shared cache: a login sees the role as updated, spends uses, and owns its auth", async () => {
    const { engine, mount } = await setupOnBarrier();
    const { roleId, secretId } = await roleWithSecret(
      mount,
      'web',
      { token_policies: 'app' },
      { num_uses: 3 },
    );
    const first = (await login(engine, mount, { role_id: roleId, secret_id: secretId }))?.auth;
    assert.deepEqual(first?.policies, ['app']);
    first?.policies.push('changed-by-caller'); // the auth is the caller's own, not the cached role's
    assert.deepEqual((await login(engine, mount, { role_id: roleId, secret_id: secretId }))?.auth?.policies, [
      'app',
    ]);
    await mount.request('update', 'role/web', { token_policies: 'other' });
    await mount.request('update', 'role/web/role-id', { role_id: 'new-id' });
    const refused = await rejection(login(engine, mount, { role_id: roleId, secret_id: secretId }));
    assert.equal(refused.message, INVALID_CREDENTIALS);
    const third = (await login(engine, mount, { role_id: 'new-id', secret_id: secretId }))?.auth;
    assert.deepEqual(third?.policies, ['other']);
    // Three uses spent (the refusal above named the old role ID, so it spent none).
    await rejection(login(engine, mount, { role_id: 'new-id', secret_id: secretId }));
  });

  test('10 concurrent logins with a 1-use secret ID: exactly one succeeds', async () => {
    const { engine, mount } = await setup();
    const { roleId, secretId } = await roleWithSecret(mount, 'a', {}, { num_uses: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => login(engine, mount, { role_id: roleId, secret_id: secretId })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });

  test("CIDR rules: outside the role's or the secret ID's CIDRs 400 (Vault's text), token_bound_cidrs 403, no use spent", async () => {
    const { engine, mount } = await setup();
    const { roleId, secretId } = await roleWithSecret(
      mount,
      'a',
      { secret_id_bound_cidrs: '10.0.0.0/8' },
      { cidr_list: '10.1.0.0/16', token_bound_cidrs: '10.1.2.0/24', num_uses: 1 },
    );
    const creds = { role_id: roleId, secret_id: secretId };
    const refusals = [
      ['192.168.0.1', 400, 'source address "192.168.0.1" unauthorized by CIDR restrictions on the role'],
      ['10.2.0.1', 400, 'source address "10.2.0.1" unauthorized by CIDR restrictions on the secret ID'],
      ['10.1.3.1', 403, 'permission denied'],
    ] as const;
    for (const [outside, status, message] of refusals) {
      const refused = await rejection(login(engine, mount, creds, outside));
      assert.deepEqual([refused.status, refused.message], [status, message], outside);
    }
    const auth = (await login(engine, mount, creds, '10.1.2.3'))?.auth;
    assert.deepEqual(auth?.boundCidrs, ['10.1.2.0/24']);
  });

  test('a role without bind_secret_id logs in by role ID from its CIDRs only', async () => {
    const { engine, mount } = await setup();
    await mount.request('update', 'role/a', { bind_secret_id: false, secret_id_bound_cidrs: '10.0.0.0/8' });
    const roleId = (await mount.request('read', 'role/a/role-id'))?.data?.role_id;
    assert.ok((await login(engine, mount, { role_id: roleId }, '10.0.0.1'))?.auth);
    assert.equal((await rejection(login(engine, mount, { role_id: roleId }, '11.0.0.1'))).status, 400);
    assert.equal((await rejection(mount.request('update', 'role/a/secret-id', {}))).status, 400);
  });
});

describe('approle storage', () => {
  /** In-memory storage whose writes fail whenever they touch a key containing `refused`. */
  function refusingStorage(refused: string) {
    const inner = new InmemBackend();
    const backend: StorageBackend = {
      type: 'refusing',
      get: (key) => inner.get(key),
      list: (prefix) => inner.list(prefix),
      close: () => inner.close(),
      put: (key, value) => backend.transaction([{ op: 'put', key, value }]),
      delete: (key) => backend.transaction([{ op: 'delete', key }]),
      transaction: async (ops) => {
        if (ops.some((op) => op.key.includes(refused))) throw new Error('disk full');
        return inner.transaction(ops);
      },
    };
    return new StorageView(backend, 'logical/test/');
  }

  test('a secret ID whose entry cannot be written leaves no accessor index behind', async () => {
    const storage = refusingStorage('/secret_id/');
    // SecretIds reads only the mount's uuid from `system`; the rest of EngineContext is not needed.
    const deps = { storage, clock: new FakeClock(), system: { mountUuid: randomUUID() } };
    const settings = { numUses: 0, ttl: 0, metadata: {}, cidrList: [], tokenBoundCidrs: [] };
    await assert.rejects(
      new SecretIds(new KeyedMutex()).create(deps as never, newRole('app'), 'a-secret-id', settings),
      /disk full/,
    );
    assert.deepEqual(await storage.list('accessor/'), []);
  });

  test('a role whose role ID index cannot be written is not saved either', async () => {
    const storage = refusingStorage('/role_id/');
    const role = { ...newRole('app'), roleId: randomUUID() };
    await assert.rejects(saveRole(storage, role), /disk full/);
    assert.deepEqual(await storage.list('role/'), []);
  });
});
