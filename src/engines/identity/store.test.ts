import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { mountForTest, rejection } from '../../framework/testing.js';
import type { TxOp } from '../../storage/backend.js';
import { InmemBackend } from '../../storage/inmem.js';
import { createIdentityEngine, IdentityStore } from './index.js';

const MOUNTS: Record<string, { path: string; type: string; local: boolean }> = {
  auth_userpass_1: { path: 'userpass/', type: 'userpass', local: false },
  auth_userpass_2: { path: 'other/', type: 'userpass', local: false },
};

async function setup() {
  const store = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  const mount = await mountForTest(createIdentityEngine(store));
  return { store, mount };
}

test('a login alias makes one entity, reused by later logins; a metadata change is kept', async () => {
  const { store } = await setup();
  const first = await store.entityForLogin('auth_userpass_1', { name: 'alice', metadata: { team: 'a' } });
  const again = await store.entityForLogin('auth_userpass_1', { name: 'alice', metadata: { team: 'a' } });
  assert.equal(again, first, 'an unchanged login returns the stored entity without a write');
  const changed = await store.entityForLogin('auth_userpass_1', { name: 'alice', metadata: { team: 'b' } });
  assert.equal(changed.id, first.id);
  assert.deepEqual(changed.aliases[0].metadata, { team: 'b' });
  assert.equal(store.entityIds().length, 1);
});

test('concurrent first logins of one alias make a single entity', async () => {
  const { store } = await setup();
  const entities = await Promise.all(
    Array.from({ length: 5 }, () => store.entityForLogin('auth_userpass_1', { name: 'bob' })),
  );
  assert.equal(new Set(entities.map((e) => e.id)).size, 1);
});

test('the same alias name on two mounts is two entities, each with its own metadata', async () => {
  const { store } = await setup();
  const a = await store.entityForLogin('auth_userpass_1', { name: 'same', metadata: { k: 'one' } });
  const b = await store.entityForLogin('auth_userpass_2', { name: 'same', metadata: { k: 'two' } });
  assert.notEqual(a.id, b.id);
  assert.deepEqual(
    store.resolve(a.id)?.context.entity?.aliases?.map((x) => x.metadata),
    [{ k: 'one' }],
  );
  assert.deepEqual(
    store.resolve(b.id)?.context.entity?.aliases?.map((x) => x.metadata),
    [{ k: 'two' }],
  );
});

test('resolved identities merge entity and group policies and follow every write', async () => {
  const { store, mount } = await setup();
  const entity = await mount.request('update', 'entity', { name: 'e', policies: 'dev' });
  const id = entity?.data?.id as string;
  const before = store.resolve(id);
  assert.deepEqual(before?.policies, ['dev']);
  const inner = await mount.request('update', 'group', {
    name: 'inner',
    member_entity_ids: [id],
    policies: 'ops',
  });
  await mount.request('update', 'group', {
    name: 'outer',
    member_group_ids: [inner?.data?.id],
    policies: 'audit,dev',
  });
  const after = store.resolve(id);
  assert.notEqual(after, before, 'a write replaces the cached identity');
  assert.deepEqual(after?.policies, ['audit', 'dev', 'ops']);
  assert.deepEqual(store.groupsOfEntity(id).length, 2);
  assert.deepEqual(
    store
      .groupsOfEntity(id)
      .map((g) => g.name)
      .sort(),
    ['inner', 'outer'],
  );
});

test('an alias must name an existing auth mount, once per entity per mount', async () => {
  const { mount } = await setup();
  const bad = await rejection(mount.request('update', 'entity-alias', { name: 'x', mount_accessor: 'nope' }));
  assert.equal(bad.message, 'invalid mount accessor "nope"');
  const made = await mount.request('update', 'entity-alias', {
    name: 'x',
    mount_accessor: 'auth_userpass_1',
  });
  const entityId = made?.data?.canonical_id as string;
  const twice = await rejection(
    mount.request('update', 'entity-alias', {
      name: 'y',
      mount_accessor: 'auth_userpass_1',
      canonical_id: entityId,
    }),
  );
  assert.equal(twice.message, 'Alias already exists for requested entity and mount accessor');
});

test('an alias moved to another entity leaves the old one and is found under the new one', async () => {
  const { store, mount } = await setup();
  const made = await mount.request('update', 'entity-alias', {
    name: 'x',
    mount_accessor: 'auth_userpass_1',
  });
  const target = await mount.request('update', 'entity', { name: 'target' });
  await mount.request('update', `entity-alias/id/${made?.data?.id}`, { canonical_id: target?.data?.id });
  assert.equal(store.aliasByFactors('auth_userpass_1', 'x')?.entity.id, target?.data?.id);
  assert.equal(store.entity(made?.data?.canonical_id as string)?.aliases.length, 0);
});

test('the store reloads what it wrote', async () => {
  const { store, mount } = await setup();
  const e = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  await mount.request('update', 'group', { name: 'g', member_entity_ids: [e.id], policies: 'dev' });
  const reopened = new IdentityStore(store.deps);
  await reopened.open(mount.ctx.storage);
  assert.equal(reopened.aliasByFactors('auth_userpass_1', 'ALICE')?.entity.id, e.id);
  assert.deepEqual(reopened.resolve(e.id)?.policies, ['dev']);
});

test('merge: aliases move, policies do not, and two aliases on one mount need the operator to choose', async () => {
  const { store, mount } = await setup();
  const alice = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  const mallory = await store.entityForLogin('auth_userpass_1', { name: 'mallory' });
  await mount.request('update', `entity/id/${alice.id}`, { policies: 'admin' });
  const conflict = await rejection(
    mount.request('update', 'entity/merge', { to_entity_id: mallory.id, from_entity_ids: [alice.id] }),
  );
  assert.match(conflict.message, /^conflicting mount accessors in following alias IDs/);
  assert.ok(store.entity(alice.id), 'a refused merge changes nothing');
  const keep = mallory.aliases[0].id;
  await mount.request('update', 'entity/merge', {
    to_entity_id: mallory.id,
    from_entity_ids: [alice.id],
    conflicting_alias_ids_to_keep: [keep],
  });
  assert.equal(store.entity(alice.id), undefined);
  assert.deepEqual(store.resolve(mallory.id)?.policies, [], "alice's policies are not copied");
  assert.equal(store.aliasByFactors('auth_userpass_1', 'alice'), undefined, 'the dropped alias is gone');
  const other = await store.entityForLogin('auth_userpass_2', { name: 'alice2' });
  await mount.request('update', 'entity/merge', { to_entity_id: mallory.id, from_entity_ids: other.id });
  assert.equal(store.aliasByFactors('auth_userpass_2', 'alice2')?.entity.id, mallory.id);
  assert.deepEqual(store.entity(mallory.id)?.mergedEntityIds, [alice.id, other.id]);
});

test('external groups: a group alias ties a mount group name; logins add and remove the entity', async () => {
  const { store, mount } = await setup();
  const internal = await mount.request('update', 'group', { name: 'internal' });
  const onInternal = await rejection(
    mount.request('update', 'group-alias', {
      name: 'devs',
      mount_accessor: 'auth_userpass_1',
      canonical_id: internal?.data?.id,
    }),
  );
  assert.equal(onInternal.status, 400);
  const external = await mount.request('update', 'group', {
    name: 'devs',
    type: 'external',
    policies: 'dev',
  });
  const groupId = external?.data?.id as string;
  const members = await rejection(
    mount.request('update', `group/id/${groupId}`, { member_entity_ids: ['x'] }),
  );
  assert.equal(members.message, "member entities can't be set manually for external groups");
  const alias = await mount.request('update', 'group-alias', {
    name: 'Devs',
    mount_accessor: 'auth_userpass_1',
    canonical_id: groupId,
  });
  assert.equal(alias?.data?.canonical_id, groupId);
  const entity = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  await store.syncExternalGroups(entity.id, 'auth_userpass_1', ['devs', 'unknown']);
  assert.deepEqual(store.resolve(entity.id)?.policies, ['dev']);
  await store.syncExternalGroups(entity.id, 'auth_userpass_2', []);
  assert.deepEqual(
    store.resolve(entity.id)?.policies,
    ['dev'],
    "another mount's login leaves the group alone",
  );
  await store.syncExternalGroups(entity.id, 'auth_userpass_1', []);
  assert.deepEqual(store.resolve(entity.id)?.policies, [], 'a login without the group leaves it');
  const read = await mount.request('read', `group/id/${groupId}`);
  assert.equal((read?.data?.alias as { name?: string } | undefined)?.name, 'Devs');
  const found = await mount.request('update', 'lookup/group', {
    alias_name: 'devs',
    alias_mount_accessor: 'auth_userpass_1',
  });
  assert.equal(found?.data?.id, groupId);
});

test("a write to one entity (a first login, a policy change) keeps every other entity's resolved identity", async () => {
  const { store, mount } = await setup();
  const alice = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  const bob = await store.entityForLogin('auth_userpass_1', { name: 'bob' });
  const aliceBefore = store.resolve(alice.id);
  const bobBefore = store.resolve(bob.id);
  await store.entityForLogin('auth_userpass_1', { name: 'carol' });
  await mount.request('update', `entity/id/${bob.id}`, { policies: 'ops' });
  assert.equal(store.resolve(alice.id), aliceBefore, 'untouched entities keep their cached identity');
  assert.notEqual(store.resolve(bob.id), bobBefore);
  assert.deepEqual(store.resolve(bob.id)?.policies, ['ops']);
  await mount.request('update', 'group', { name: 'g', member_entity_ids: [alice.id], policies: 'dev' });
  assert.deepEqual(store.resolve(alice.id)?.policies, ['dev'], 'a group write reaches every entity');
});

/** In-memory storage that refuses any write touching a key ending in `failing` (when set). */
class FailingWrites extends InmemBackend {
  failing?: string;
  override put(key: string, value: Uint8Array): Promise<void> {
    if (this.failing && key.endsWith(this.failing)) return Promise.reject(new Error('write refused'));
    return super.put(key, value);
  }
  override transaction(ops: TxOp[]): Promise<void> {
    const failing = this.failing;
    if (failing && ops.some((op) => op.key.endsWith(failing)))
      return Promise.reject(new Error('write refused'));
    return super.transaction(ops);
  }
}

test('merge is one write: when the target cannot be written, nothing is lost and memory matches storage', async () => {
  const backend = new FailingWrites();
  const store = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  const mount = await mountForTest(createIdentityEngine(store), { backend });
  const alice = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  const bob = await store.entityForLogin('auth_userpass_2', { name: 'bob' });
  const group = await mount.request('update', 'group', { name: 'g', member_entity_ids: [alice.id] });
  const snapshot = (s: IdentityStore) => ({
    entities: s
      .entityIds()
      .sort()
      .map((id) => s.entity(id)),
    groups: s.groups().sort((a, b) => a.id.localeCompare(b.id)),
  });
  const before = snapshot(store);
  backend.failing = `entity/${bob.id}`;
  await assert.rejects(
    mount.request('update', 'entity/merge', { to_entity_id: bob.id, from_entity_ids: [alice.id] }),
    /write refused/,
  );
  backend.failing = undefined;
  assert.deepEqual(snapshot(store), before, 'memory is unchanged');
  assert.equal(store.aliasByFactors('auth_userpass_1', 'alice')?.entity.id, alice.id);
  const reopened = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  await reopened.open(mount.ctx.storage);
  assert.deepEqual(snapshot(reopened), before, 'storage holds what memory does');
  // Once storage takes writes again, the merge goes through whole.
  await mount.request('update', 'entity/merge', { to_entity_id: bob.id, from_entity_ids: [alice.id] });
  assert.equal(store.aliasByFactors('auth_userpass_1', 'alice')?.entity.id, bob.id);
  assert.deepEqual(store.group(group?.data?.id as string)?.memberEntityIds, [bob.id]);
  const after = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  await after.open(mount.ctx.storage);
  assert.deepEqual(snapshot(after), snapshot(store));
});

test('a merged-away entity resolves to the entity it was merged into (tokens act as the target)', async () => {
  const { store, mount } = await setup();
  const alice = await store.entityForLogin('auth_userpass_1', { name: 'alice' });
  const bob = await store.entityForLogin('auth_userpass_2', { name: 'bob' });
  await mount.request('update', `entity/id/${alice.id}`, { policies: 'alice-own' });
  await mount.request('update', `entity/id/${bob.id}`, { policies: 'bob-own' });
  await mount.request('update', 'group', {
    name: 'bobs',
    policies: 'bob-group',
    member_entity_ids: [bob.id],
  });
  assert.deepEqual(store.resolve(alice.id)?.policies, ['alice-own'], 'cached before the merge');
  await mount.request('update', 'entity/merge', { to_entity_id: bob.id, from_entity_ids: [alice.id] });
  const resolved = store.resolve(alice.id);
  assert.equal(resolved?.entity.id, bob.id);
  assert.deepEqual(resolved?.policies, ['bob-group', 'bob-own']);
  assert.equal(store.entity(alice.id), undefined, "identity tokens use the entity's own ID only");
  // A later write to the target shows through the merged-away ID too, and its disabling applies.
  await mount.request('update', `entity/id/${bob.id}`, { disabled: true });
  assert.equal(store.resolve(alice.id)?.entity.disabled, true);
  // A chain: the target merged again still resolves, and it survives a reload.
  const carol = { id: (await mount.request('update', 'entity', { name: 'carol' }))?.data?.id as string };
  await mount.request('update', 'entity/merge', { to_entity_id: carol.id, from_entity_ids: [bob.id] });
  assert.equal(store.resolve(alice.id)?.entity.id, carol.id);
  const reopened = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  await reopened.open(mount.ctx.storage);
  assert.equal(reopened.resolve(alice.id)?.entity.id, carol.id);
  assert.equal(reopened.resolve(bob.id)?.entity.id, carol.id);
  // Deleting the target leaves nothing to follow.
  await mount.request('delete', `entity/id/${carol.id}`);
  assert.equal(store.resolve(alice.id), undefined);
});

/** In-memory storage that counts the reads in flight at once. */
class CountingReads extends InmemBackend {
  inFlight = 0;
  maxInFlight = 0;
  override async get(key: string): Promise<Uint8Array | undefined> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve)); // a round trip
      return await super.get(key);
    } finally {
      this.inFlight--;
    }
  }
}

test('open reads records in parallel batches, with a bounded number in flight, and loads them all', async () => {
  const backend = new CountingReads();
  const store = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  const mount = await mountForTest(createIdentityEngine(store), { backend });
  const ops: TxOp[] = [];
  for (let i = 0; i < 1000; i++) {
    const entity = { ...store.blankEntity(), name: `e${i}` };
    ops.push({ op: 'put', key: `entity/${entity.id}`, value: Buffer.from(JSON.stringify(entity)) });
  }
  await mount.ctx.storage.transaction(ops);
  await mount.request('update', 'group', { name: 'g' });
  backend.maxInFlight = 0;
  const reopened = new IdentityStore({ clock: new FakeClock(), authMount: (accessor) => MOUNTS[accessor] });
  await reopened.open(mount.ctx.storage);
  assert.equal(reopened.entityIds().length, 1000);
  assert.equal(reopened.entityByName('e999')?.name, 'e999');
  assert.ok(reopened.groupByName('g'));
  assert.ok(backend.maxInFlight > 1, `reads overlap (at most ${backend.maxInFlight} at once)`);
  assert.ok(backend.maxInFlight <= 1000 / 2, `reads are batched (${backend.maxInFlight} at once)`);
});
