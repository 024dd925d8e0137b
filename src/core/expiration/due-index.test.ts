/** The due index: an entry found by its name alone (as the unseal loader finds it) reads back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageView } from '../../framework/storage-view.js';
import { InmemBackend } from '../../storage/inmem.js';
import { DueIndex, type DueItem, tagOf } from './due-index.js';

test("an entry due within a minute's last second is read back from its listed name", async () => {
  const storage = new StorageView(new InmemBackend(), 'due/');
  const index = new DueIndex(storage);
  // Its name's second (rounded up) is 00:01:00, in the next minute's range; its bucket is 00:00.
  const item: DueItem = { kind: 'token', id: 'accessor-1', at: Date.UTC(2026, 0, 1, 0, 0, 59, 500) };
  await storage.putJson(index.key(item), item);
  const refs = [];
  for (const bucket of await index.bucketsUntil(item.at + 60_000)) refs.push(...(await index.refsIn(bucket)));
  assert.equal(refs.length, 1);
  assert.deepEqual(await index.read(refs[0]), item);
  assert.equal((await storage.list('')).length, 1, 'the entry is still there');
});

test('an entry is named by its id’s first 7 characters when they are base62, and read back under either name', async () => {
  assert.equal(tagOf('0Ab9zZxRANDOMRANDOMRANDO'), '0Ab9zZx');
  assert.equal(tagOf('database/creds/app/0Ab9zZxRANDOMRANDOMRANDO'), '0Ab9zZx');
  assert.equal(tagOf('database/creds/app/a-b_c.d'), undefined);
  assert.equal(tagOf('short'), undefined);
  const storage = new StorageView(new InmemBackend(), 'due/');
  const index = new DueIndex(storage);
  const item: DueItem = {
    kind: 'lease',
    id: 'database/creds/app/0Ab9zZxRANDOMRANDOMRANDO',
    at: Date.UTC(2026, 0, 1),
  };
  const [tagged, untagged] = index.namesOf(item);
  assert.match(tagged, /-0Ab9zZx\.[0-9a-f]{64}$/);
  assert.match(untagged, /-[0-9a-f]{64}$/);
  // Written under the name without the tag, as before 2026-12-03: loaded and read back, then removed.
  await storage.putJson(untagged, item);
  const refs = [];
  for (const bucket of await index.bucketsUntil(item.at)) refs.push(...(await index.refsIn(bucket)));
  assert.deepEqual(await index.read(refs[0]), item);
  await index.remove(item);
  assert.deepEqual(await storage.list(''), []);
});
