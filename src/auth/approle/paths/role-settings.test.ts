import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mountForTest, rejection } from '../../../framework/testing.js';
import { createApproleEngine } from '../index.js';

const ROLE = {
  token_policies: 'a,b',
  secret_id_num_uses: 10,
  secret_id_ttl: 300,
  token_num_uses: 600,
  token_ttl: 400,
  token_max_ttl: 500,
  token_period: 60,
  secret_id_bound_cidrs: '10.0.0.0/8',
  token_bound_cidrs: '10.0.0.0/8',
  local_secret_ids: true,
};

async function mountWithRole(role: Record<string, unknown> = ROLE) {
  const mount = await mountForTest(createApproleEngine(), { mountPath: 'approle/' });
  await mount.request('update', 'role/app', role);
  const full = async () => (await mount.request('read', 'role/app'))?.data ?? {};
  return { mount, full };
}

/** A setting whose read answers just its own key: its value on the role above, the value sent, then the default. */
function plain(segment: string, key: string, [initial, sent, shown, reset]: unknown[]) {
  return {
    segment,
    read: { [key]: initial },
    body: { [key]: sent },
    updated: { [key]: shown },
    reset: { [key]: reset },
  };
}

/** GET, POST and DELETE of each setting, and what the full role read shows after each. */
const settings = [
  {
    segment: 'policies',
    read: { token_policies: ['a', 'b'], policies: ['a', 'b'] },
    body: { policies: 'C,d' },
    updated: { token_policies: ['c', 'd'], policies: ['c', 'd'] },
    reset: { token_policies: [] },
  },
  {
    segment: 'period',
    read: { token_period: 60, period: 60 },
    body: { period: 9001 },
    updated: { token_period: 9001, period: 9001 },
    reset: { token_period: 0 },
  },
  plain('secret-id-num-uses', 'secret_id_num_uses', [10, 200, 200, 0]),
  plain('secret-id-ttl', 'secret_id_ttl', [300, '50m1s', 3001, 0]),
  plain('token-num-uses', 'token_num_uses', [600, 60, 60, 0]),
  plain('token-ttl', 'token_ttl', [400, 450, 450, 0]),
  plain('token-max-ttl', 'token_max_ttl', [500, '1h', 3600, 0]),
  plain('bind-secret-id', 'bind_secret_id', [true, false, false, true]),
  plain('secret-id-bound-cidrs', 'secret_id_bound_cidrs', [
    ['10.0.0.0/8'],
    ['10.1.0.0/16', '10.2.0.0/16'],
    ['10.1.0.0/16', '10.2.0.0/16'],
    [],
  ]),
  plain('token-bound-cidrs', 'token_bound_cidrs', [['10.0.0.0/8'], '10.1.0.0/16', ['10.1.0.0/16'], []]),
];

describe('approle one-setting endpoints (role/:role_name/<setting>)', () => {
  for (const s of settings) {
    test(`${s.segment}: read, update and reset keep the role's other settings`, async () => {
      const { mount, full } = await mountWithRole();
      const path = `role/APP/${s.segment}`;
      assert.deepEqual((await mount.request('read', path))?.data, s.read);
      const before = await full();
      assert.equal(await mount.request('update', path, s.body), undefined, 'a 204');
      assert.deepEqual((await mount.request('read', path))?.data, s.updated);
      // The full read shows the same new value, and nothing else moved.
      const shown = Object.entries(s.updated).filter(([key]) => key in before);
      assert.deepEqual(await full(), { ...before, ...Object.fromEntries(shown) });
      assert.equal(await mount.request('delete', path), undefined, 'a 204');
      assert.deepEqual((await mount.request('read', path))?.data, s.reset);
    });
  }

  test("bound-cidr-list, deprecated: updates secret_id_bound_cidrs, reads null and deletes nothing, as Vault's", async () => {
    const { mount, full } = await mountWithRole();
    const read = await mount.request('read', 'role/app/bound-cidr-list');
    assert.deepEqual(read?.data, { bound_cidr_list: null });
    assert.match(read?.warnings?.[0] ?? '', /"bound_cidr_list" field is deprecated/);
    await mount.request('update', 'role/app/bound-cidr-list', { bound_cidr_list: '10.9.0.0/16' });
    assert.deepEqual((await full()).secret_id_bound_cidrs, ['10.9.0.0/16']);
    // Vault's delete clears only the legacy field: the login restriction stays.
    assert.equal(await mount.request('delete', 'role/app/bound-cidr-list'), undefined, 'a 204');
    assert.deepEqual((await full()).secret_id_bound_cidrs, ['10.9.0.0/16']);
  });

  test('local-secret-ids is read-only', async () => {
    const { mount } = await mountWithRole();
    assert.deepEqual((await mount.request('read', 'role/app/local-secret-ids'))?.data, {
      local_secret_ids: true,
    });
    const write = await rejection(mount.request('update', 'role/app/local-secret-ids', {}));
    assert.equal(write.status, 405);
    assert.equal((await rejection(mount.request('delete', 'role/app/local-secret-ids'))).status, 405);
  });

  test('token_policies wins over policies when both are sent', async () => {
    const { mount } = await mountWithRole();
    await mount.request('update', 'role/app/policies', { token_policies: 'x', policies: 'y' });
    assert.deepEqual((await mount.request('read', 'role/app/policies'))?.data?.token_policies, ['x']);
  });

  test('a role that does not exist: read 404, update 404 "unsupported path", delete 204', async () => {
    const { mount } = await mountWithRole();
    for (const s of [...settings.map((c) => c.segment), 'bound-cidr-list', 'local-secret-ids']) {
      assert.equal(await mount.request('read', `role/nope/${s}`), undefined, s);
    }
    for (const s of settings) {
      const refused = await rejection(mount.request('update', `role/nope/${s.segment}`, s.body));
      assert.deepEqual([refused.status, refused.message], [404, 'unsupported path'], s.segment);
      assert.equal(await mount.request('delete', `role/nope/${s.segment}`), undefined, s.segment);
    }
    assert.deepEqual(await mount.request('list', 'role/'), { data: { keys: ['app'] } });
  });

  test('an update without its value: Vault\'s "missing …" 400, and the CIDR lists stay as they are', async () => {
    const { mount, full } = await mountWithRole();
    const missing = {
      policies: 'missing token_policies',
      'secret-id-num-uses': 'missing secret_id_num_uses',
      'secret-id-ttl': 'missing secret_id_ttl',
      'token-num-uses': 'missing token_num_uses',
      'token-ttl': 'missing token_ttl',
      'token-max-ttl': 'missing token_max_ttl',
      period: 'missing period',
      'bind-secret-id': 'missing bind_secret_id',
    };
    for (const [segment, message] of Object.entries(missing)) {
      const refused = await rejection(mount.request('update', `role/app/${segment}`, {}));
      assert.deepEqual([refused.status, refused.message], [400, message], segment);
    }
    const before = await full();
    for (const segment of ['secret-id-bound-cidrs', 'token-bound-cidrs', 'bound-cidr-list'])
      assert.equal(await mount.request('update', `role/app/${segment}`, {}), undefined, segment);
    assert.deepEqual(await full(), before);
  });

  const refusals = [
    {
      name: 'token_ttl above token_max_ttl',
      path: 'token-ttl',
      body: { token_ttl: 501 },
      message: 'token_ttl should not be greater than token_max_ttl',
    },
    {
      name: 'token_max_ttl below token_ttl',
      path: 'token-max-ttl',
      body: { token_max_ttl: 399 },
      message: 'token_max_ttl should be greater than or equal to token_ttl',
    },
    {
      name: 'a period above the mount max TTL',
      path: 'period',
      body: { period: 768 * 3600 + 1 },
      message: 'period of "768h0m1s" is greater than the backend\'s maximum lease TTL of "768h0m0s"',
    },
    {
      name: 'an empty secret_id_bound_cidrs',
      path: 'secret-id-bound-cidrs',
      body: { secret_id_bound_cidrs: '' },
      message: 'missing bound_cidr_list',
    },
    {
      name: 'a malformed CIDR',
      path: 'secret-id-bound-cidrs',
      body: { secret_id_bound_cidrs: '10.0.0.0/33' },
      message: 'invalid CIDR blocks',
    },
    {
      name: 'a negative secret_id_ttl',
      path: 'secret-id-ttl',
      body: { secret_id_ttl: -1 },
      message: '"secret_id_ttl" cannot be negative',
    },
  ];
  for (const c of refusals) {
    test(`an update to ${c.name} is refused with 400 and changes nothing`, async () => {
      const { mount, full } = await mountWithRole();
      const before = await full();
      const refused = await rejection(mount.request('update', `role/app/${c.path}`, c.body));
      assert.deepEqual([refused.status, refused.message], [400, c.message]);
      assert.deepEqual(await full(), before);
    });
  }

  test("the full write's invariants hold: no role is left without a constraint, batch tokens stay unlimited", async () => {
    const { mount, full } = await mountWithRole({
      bind_secret_id: false,
      secret_id_bound_cidrs: '10.0.0.0/8',
    });
    const before = await full();
    for (const [op, path] of [['delete', 'role/app/secret-id-bound-cidrs']] as const) {
      const refused = await rejection(mount.request(op, path));
      assert.deepEqual(
        [refused.status, refused.message],
        [400, 'at least one constraint should be enabled on the role'],
      );
    }
    await mount.request('update', 'role/batch', { token_type: 'batch' });
    const batch = await rejection(
      mount.request('update', 'role/batch/token-num-uses', { token_num_uses: 3 }),
    );
    assert.equal(batch.status, 400);
    assert.deepEqual(await full(), before);
  });
});
