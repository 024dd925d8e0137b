/** Token tree revocation racing with child creation: no child may outlive a revoked parent. */
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { silentLogger } from '../../framework/log.js';
import { StorageView } from '../../framework/storage-view.js';
import { InmemBackend } from '../../storage/inmem.js';
import { accessorIndexName, type CreateParams, childIndexName, TokenStore } from './store.js';

function newStore(backend = new InmemBackend()) {
  const store = new TokenStore({
    storage: new StorageView(backend, 'token/'),
    clock: new FakeClock(),
    log: silentLogger,
    defaults: () => ({ defaultTtl: 3600, maxTtl: 7200 }),
  });
  return { store, backend };
}

const base = { policies: ['default'], displayName: 'token', path: 'auth/token/create' };

test('a child written after its parent was revoked is refused and removed', async () => {
  const { store, backend } = newStore();
  const parent = await store.create(base);
  await store.revoke(parent.token);
  // The request that creates the child looked its parent up before the revocation.
  await assert.rejects(store.create({ ...base, parent: parent.entry }), /permission denied/);
  const ids = (await backend.list('token/id/')).length;
  assert.equal(ids, 0, 'nothing is left behind');
});

test('a child created while the parent is being revoked never outlives it', async () => {
  const backend = new InmemBackend();
  const { store } = newStore(backend);
  const parent = await store.create(base);
  let creating: Promise<unknown> | undefined;
  const probe = backend.hasAnyUnder.bind(backend);
  backend.hasAnyUnder = async (prefix: string) => {
    const found = await probe(prefix);
    // The revocation has just found the parent childless; a request creates a child right then.
    if (!creating && prefix === `token/parent/${parent.entry.idHash}/`) {
      creating = store.create({ ...base, parent: parent.entry }).catch((error: Error) => error);
    }
    return found;
  };
  await store.revoke(parent.token);
  assert.ok(creating, 'the child was created during the revocation');
  // It waited for the revocation (the parent's tree lock) and then found its parent gone.
  assert.match(String(await creating), /permission denied/);
  assert.deepEqual(await backend.list('token/id/'), []);
  assert.deepEqual(await backend.list('token/parent/'), []);
});

test('a child created while the walk revokes its siblings is revoked with them', async () => {
  const backend = new InmemBackend();
  const { store } = newStore(backend);
  const parent = await store.create(base);
  const sibling = await store.create({ ...base, parent: parent.entry });
  let late: { token: string } | undefined;
  const list = backend.list.bind(backend);
  backend.list = async (prefix: string) => {
    const found = await list(prefix);
    // The walk has read the parent's children (outside the parent's lock); a new one lands right after.
    if (!late && prefix === `token/parent/${parent.entry.idHash}/`) {
      late = await store.create({ ...base, parent: parent.entry });
    }
    return found;
  };
  await store.revoke(parent.token);
  assert.ok(late, 'the child was created during the walk');
  for (const token of [late.token, sibling.token, parent.token])
    assert.equal(await store.lookup(token), undefined);
  assert.deepEqual(await backend.list('token/id/'), []);
});

test('revoking skips a stale parent index entry instead of looping on it', async () => {
  const backend = new InmemBackend();
  const { store } = newStore(backend);
  const parent = await store.create(base);
  const child = await store.create({ ...base, parent: parent.entry });
  await backend.delete(`token/id/${child.entry.idHash}`);
  await store.revoke(parent.token);
  assert.deepEqual(await backend.list('token/parent/'), []);
  assert.deepEqual(await backend.list('token/id/'), []);
});

test('afterRevoke runs once the token is gone, so a late lease index is swept after the delete', async () => {
  const backend = new InmemBackend();
  const seen: { stillStored: boolean; phase: string }[] = [];
  const store: TokenStore = new TokenStore({
    storage: new StorageView(backend, 'token/'),
    clock: new FakeClock(),
    log: silentLogger,
    defaults: () => ({ defaultTtl: 3600, maxTtl: 7200 }),
    onRevoke: async (entry) => {
      seen.push({
        phase: 'onRevoke',
        stillStored: (await store.expiryOfAccessor(entry.accessor)) !== undefined,
      });
    },
    afterRevoke: async (entry) => {
      seen.push({
        phase: 'after',
        stillStored: (await store.expiryOfAccessor(entry.accessor)) !== undefined,
      });
    },
  });
  const parent = await store.create(base);
  await store.create({ ...base, parent: parent.entry });
  await store.revoke(parent.token);
  assert.deepEqual(
    seen.map((s) => `${s.phase}:${s.stillStored}`),
    ['onRevoke:true', 'after:false', 'onRevoke:true', 'after:false'],
  );
});

test('a batch child stops working when its parent is revoked; an orphan batch token does not', async () => {
  const { store } = newStore();
  const parent = await store.create(base);
  const child = await store.create({ ...base, type: 'batch', parent: parent.entry });
  const orphan = await store.create({ ...base, type: 'batch' });
  assert.ok(await store.lookup(child.token));
  assert.deepEqual(await store.batchLeaseScope(child.token), {
    gone: false,
    ownerAccessor: parent.entry.accessor,
    expireTime: child.entry.expireTime,
  });
  assert.deepEqual(await store.batchLeaseScope(orphan.token), {
    gone: false,
    expireTime: orphan.entry.expireTime,
  });
  await store.revoke(parent.token);
  assert.equal(await store.lookup(child.token), undefined);
  assert.deepEqual(await store.batchLeaseScope(child.token), { gone: true });
  assert.ok(await store.lookup(orphan.token));
});

test('a batch token does not carry the internal data kept for renewals (an LDAP password)', async () => {
  const { store, backend } = newStore();
  const canary = 'CANARY-ldap-password-5e1';
  const batch = await store.create({ ...base, type: 'batch', internalData: { password: canary } });
  assert.equal(batch.entry.internalData, undefined);
  assert.equal((await store.lookup(batch.token))?.internalData, undefined);
  // Decrypted with the batch key, the token holds no trace of it.
  const { batch_key } = JSON.parse(Buffer.from((await backend.get('token/salt')) ?? []).toString('utf8')) as {
    batch_key: string;
  };
  const raw = Buffer.from(batch.token.slice(4), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(batch_key, 'base64'), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  assert.equal(plain.toString('utf8').includes(canary), false);
  // A service token keeps it for its renewal.
  const service = await store.create({ ...base, internalData: { password: canary } });
  assert.deepEqual((await store.lookup(service.token))?.internalData, { password: canary });
});

test('an interrupted tree revocation keeps the parent, so running it again finishes the job', async () => {
  const backend = new InmemBackend();
  const { store } = newStore(backend);
  const parent = await store.create(base);
  const children = [];
  for (let i = 0; i < 3; i++) children.push(await store.create({ ...base, parent: parent.entry }));
  const transaction = backend.transaction.bind(backend);
  let commits = 0;
  backend.transaction = async (ops) => {
    // The second revocation commit fails, as it would when the server seals mid-way.
    if (++commits === 2) throw new Error('sealed');
    return transaction(ops);
  };
  await assert.rejects(store.revoke(parent.token), /sealed/);
  assert.ok(await store.lookup(parent.token), 'the parent stays while a child is left');
  const left = [];
  for (const child of children) if (await store.lookup(child.token)) left.push(child);
  assert.equal(left.length, 2);
  await store.revoke(parent.token);
  assert.equal(await store.lookup(parent.token), undefined);
  for (const child of children) assert.equal(await store.lookup(child.token), undefined);
  assert.deepEqual(await backend.list('token/parent/'), []);
});

test('a renewal that loses the race with a revocation does not bring the token back', async () => {
  const { store, backend } = newStore();
  const made = await store.create({ ...base, ttl: 600 });
  const stale = made.entry; // what the renew request looked up before the revocation
  await store.revoke(made.token);
  await assert.rejects(store.renewEntry(stale, 600), /token not found/);
  assert.equal(await store.lookup(made.token), undefined);
  assert.deepEqual(await backend.list('token/id/'), []);
});

function storeWithClock(backend: InmemBackend, clock: FakeClock) {
  return new TokenStore({
    storage: new StorageView(backend, 'token/'),
    clock,
    log: silentLogger,
    defaults: () => ({ defaultTtl: 3600, maxTtl: 7200 }),
  });
}

/** Four tokens made 1.5 s apart, each with its own creation time. */
async function createApart(store: TokenStore, clock: FakeClock, params: CreateParams) {
  const made = [];
  for (let i = 0; i < 4; i++) {
    made.push(await store.create(params));
    clock.advance(1500);
  }
  return made;
}

test('children are indexed by creation time, then hash, so new ones land after the older', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const store = storeWithClock(backend, clock);
  const parent = await store.create(base);
  const children = await createApart(store, clock, { ...base, parent: parent.entry });
  // list() sorts by name: hash-first names would come back in random order.
  assert.deepEqual(
    await backend.list(`token/parent/${parent.entry.idHash}/`),
    children.map(({ entry }) => `${entry.creationTime.toString(16).padStart(12, '0')}.${entry.idHash}`),
  );
  await store.revoke(parent.token);
  for (const child of children) assert.equal(await store.lookup(child.token), undefined);
  assert.deepEqual(await backend.list('token/'), ['salt']);
});

/** A store that writes tokens, and a raw view of its storage to rewrite them as an older version did. */
function olderVersionFixture() {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  return { backend, clock, writer: storeWithClock(backend, clock), view: new StorageView(backend, 'token/') };
}

test('a child indexed by its hash alone, as before 2026-12-03, is still revoked, orphaned and tidied', async () => {
  const { backend, clock, writer, view } = olderVersionFixture();
  const parents = [await writer.create(base), await writer.create(base)];
  const children = [];
  for (const parent of parents) {
    const child = await writer.create({ ...base, parent: parent.entry });
    // Rewritten as an earlier version stored it: no index form, the index entry named by the hash.
    const { parentIndexForm, ...legacy } = child.entry;
    assert.equal(parentIndexForm, 'time');
    await view.putJson(`id/${legacy.idHash}`, legacy);
    await view.delete(`parent/${parent.entry.idHash}/${childIndexName(child.entry)}`);
    await view.put(`parent/${parent.entry.idHash}/${legacy.idHash}`, Buffer.from('{}'));
    children.push(child);
  }
  const store = storeWithClock(backend, clock); // a restarted server: nothing cached
  await store.revoke(parents[0].token);
  assert.equal(await store.lookup(children[0].token), undefined);
  assert.deepEqual(await backend.list(`token/parent/${parents[0].entry.idHash}/`), []);

  await store.revokeOrphan(parents[1].token);
  const orphan = await store.lookup(children[1].token);
  assert.equal(orphan?.orphan, true);
  assert.equal(orphan?.parentHash, undefined);
  assert.deepEqual(await backend.list('token/parent/'), []);

  // tidy reads both forms: a new-form entry whose token is gone goes, a live one stays.
  const parent = await store.create(base);
  const live = await store.create({ ...base, parent: parent.entry });
  const gone = await store.create({ ...base, parent: parent.entry });
  await backend.delete(`token/id/${gone.entry.idHash}`);
  assert.equal(await store.tidy(), 2, "the gone token's index entry and its accessor");
  assert.deepEqual(await backend.list(`token/parent/${parent.entry.idHash}/`), [childIndexName(live.entry)]);
});

test('accessors start with their creation time, and their index entries sort by it', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const store = storeWithClock(backend, clock);
  const made = await createApart(store, clock, base);
  const names = await backend.list('token/accessor/');
  // list() sorts by name: names by hash alone would come back in random order.
  assert.deepEqual(
    names.map((name) => name.slice(0, 7)),
    made.map(({ entry }) => entry.accessor.slice(0, 7)),
  );
  assert.deepEqual(
    [...made.map(({ entry }) => entry.accessor)].sort(),
    made.map(({ entry }) => entry.accessor),
  );
  assert.equal((await store.lookupAccessor(made[2].entry.accessor))?.idHash, made[2].entry.idHash);
  assert.equal(await store.revokeAccessor(made[2].entry.accessor), true);
  assert.equal((await backend.list('token/accessor/')).length, 3);
  // What a client sends is only ever hashed into a key.
  assert.equal(await store.lookupAccessor('a/b//c..d'), undefined);
  assert.equal(await store.revokeAccessor('a/b//c..d'), false);
});

test('a token indexed by its accessor hash alone, as before 2026-12-03, is found and revoked by accessor', async () => {
  const { backend, clock, writer, view } = olderVersionFixture();
  const made = [await writer.create(base), await writer.create(base)];
  for (const { entry } of made) {
    // Rewritten as an earlier version stored it: no index form, the entry named by the hash alone.
    const { accessorIndexForm, ...legacy } = entry;
    assert.equal(accessorIndexForm, 'time');
    const hash = await saltedHash(view, entry.accessor);
    await view.putJson(`id/${entry.idHash}`, legacy);
    await view.delete(`accessor/${accessorIndexName(entry, hash)}`);
    await view.putJson(`accessor/${hash}`, { idHash: entry.idHash });
  }
  const store = storeWithClock(backend, clock); // a restarted server: nothing cached
  assert.equal((await store.lookupAccessor(made[0].entry.accessor))?.idHash, made[0].entry.idHash);
  assert.equal(await store.revokeAccessor(made[0].entry.accessor), true);
  assert.equal(await store.lookup(made[0].token), undefined);
  await store.revoke(made[1].token);
  assert.deepEqual(await backend.list('token/accessor/'), []);
});

test('tokens start with their creation time, and their entries sort by it', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const store = storeWithClock(backend, clock);
  const made = await createApart(store, clock, base);
  for (const { token, entry } of made) {
    assert.match(token, /^hvs\.[0-9A-Za-z]{31}$/);
    assert.equal(entry.idHash.slice(0, 7), token.slice(4, 11));
  }
  // list() sorts by name: names by hash alone would come back in random order.
  assert.deepEqual(
    await backend.list('token/id/'),
    made.map(({ entry }) => entry.idHash),
  );
  assert.equal((await store.lookup(made[1].token))?.accessor, made[1].entry.accessor);
  // The same shape with other random characters is no token.
  assert.equal(await store.lookup(`${made[1].token.slice(0, 11)}${'A'.repeat(24)}`), undefined);
  await store.revoke(made[1].token);
  assert.equal(await store.lookup(made[1].token), undefined);
  assert.equal((await backend.list('token/id/')).length, 3);
});

test('a chosen ID of the new shape, stored by its hash alone before 2026-12-03, still works', async () => {
  const { backend, clock, writer, view } = olderVersionFixture();
  const chosen = `hvs.${'x'.repeat(31)}`;
  const parent = await writer.create(base);
  const made = await writer.create({ ...base, id: chosen, parent: parent.entry });
  const hash = await saltedHash(view, chosen);
  assert.equal(made.entry.idHash, `xxxxxxx${hash}`);
  // Rewritten as an earlier version stored it: the entry and every reference named by the hash alone.
  const legacy = { ...made.entry, idHash: hash };
  await view.delete(`id/${made.entry.idHash}`);
  await view.putJson(`id/${hash}`, legacy);
  await view.putJson(
    `accessor/${accessorIndexName(made.entry, await saltedHash(view, made.entry.accessor))}`,
    {
      idHash: hash,
    },
  );
  await view.delete(`parent/${parent.entry.idHash}/${childIndexName(made.entry)}`);
  await view.put(`parent/${parent.entry.idHash}/${childIndexName(legacy)}`, Buffer.from('{}'));

  const store = storeWithClock(backend, clock); // a restarted server: nothing cached
  assert.equal((await store.lookup(chosen))?.accessor, made.entry.accessor);
  await assert.rejects(store.create({ ...base, id: chosen }), /duplicate ID/);
  await store.revokeOrphan(chosen);
  assert.equal(await store.lookup(chosen), undefined);
  assert.deepEqual(await backend.list('token/id/'), [parent.entry.idHash]);
  assert.deepEqual(await backend.list('token/parent/'), []);
  assert.deepEqual(await backend.list('token/accessor/'), [
    accessorIndexName(parent.entry, await saltedHash(view, parent.entry.accessor)),
  ]);
});

/** The store's salted hash of a token or an accessor, from the salt in its storage. */
async function saltedHash(view: StorageView, value: string): Promise<string> {
  const salt = Buffer.from((await view.getJson<{ salt: string }>('salt'))!.salt, 'hex');
  return createHmac('sha256', salt).update(value).digest('hex');
}
