import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deepFreeze } from '../../framework/deep-freeze.js';
import { StorageView } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';
import { InmemBackend } from '../../storage/inmem.js';
import {
  type KeyMetadata,
  metadataBytes,
  newMetadata,
  SPARSE_FROM,
  type VersionInfo,
  writeVersion,
} from './versions.js';

const text = (meta: KeyMetadata) => Buffer.from(metadataBytes(meta)).toString('utf8');
const sameAsStringify = (meta: KeyMetadata) =>
  assert.deepEqual(JSON.parse(text(meta)), JSON.parse(JSON.stringify(meta)));

const info = (createdTime: number, deletionTime = 0, destroyed = false): VersionInfo => ({
  createdTime,
  deletionTime,
  destroyed,
});

describe('metadataBytes', () => {
  const now = 1_767_225_600_123;
  const shapes: Record<string, () => KeyMetadata> = {
    'no versions': () => newMetadata(now),
    'one version': () => ({
      ...newMetadata(now),
      currentVersion: 1,
      oldestVersion: 1,
      versions: { 1: info(now) },
    }),
    'many versions, some deleted or destroyed': () => {
      const versions: Record<string, VersionInfo> = {};
      for (let n = 3; n <= 12; n++) versions[n] = info(now + n, n % 3 === 0 ? now + 99 : 0, n % 4 === 0);
      return { ...newMetadata(now), currentVersion: 12, oldestVersion: 3, maxVersions: 10, versions };
    },
    'versions inserted out of order, past 9': () => ({
      ...newMetadata(now),
      versions: { 10: info(now + 10), 2: info(now + 2), 9: info(now + 9), 100: info(now, now + 5, true) },
    }),
    'custom metadata with quotes, backslashes, controls and unicode': () => ({
      ...newMetadata(now),
      casRequired: true,
      deleteVersionAfter: 3600,
      customMetadata: {
        'qu"ote': 'a "b" \\c\n\t\u0000',
        versions: '{"1":{}}',
        'ünï😀': '\u2028\u2029 \ud800 lone',
        '': '',
      },
      currentVersion: 1,
      oldestVersion: 1,
      versions: { 1: info(now) },
    }),
    // Not a shape Coffer writes; a damaged table must still serialize rather than throw.
    'a version that is not an object': () =>
      ({ ...newMetadata(now), versions: { 1: null, 2: 7 } }) as unknown as KeyMetadata,
    'versions key first, as an older writer may have stored it': () => {
      const { versions: _, ...rest } = newMetadata(now);
      return { versions: { 1: info(now, now, true) }, ...rest };
    },
  };
  for (const [name, make] of Object.entries(shapes)) {
    test(`${name}: parses as JSON.stringify's text does`, () => {
      sameAsStringify(make());
      sameAsStringify(deepFreeze(make()) as KeyMetadata);
    });
  }

  test('a frozen version keeps its text for the metadata made from it; a thawed one is serialized each time', () => {
    let reads = 0;
    const counted = (destroyed: boolean) =>
      Object.defineProperty(info(now), 'destroyed', {
        enumerable: true,
        get: () => {
          reads++;
          return destroyed;
        },
      });
    const frozen = Object.freeze(counted(true));
    const meta = { ...newMetadata(now), versions: { 1: frozen } };
    const next = { ...meta, currentVersion: 1 };
    const nextText = Buffer.from(metadataBytes(next, meta)).toString('utf8');
    assert.deepEqual(JSON.parse(nextText), JSON.parse(JSON.stringify(next)));
    assert.equal(reads, 2, 'stringified once by metadataBytes and once by the check');
    // The texts stay with `next`, and go on to the metadata made from it.
    text(next);
    metadataBytes(deepFreeze({ ...next, currentVersion: 2 }) as KeyMetadata, next);
    assert.equal(reads, 2, 'neither stringified it again');
    // Not with a copy that does not name where it came from: the text is made anew.
    text({ ...meta });
    assert.equal(reads, 3);

    reads = 0;
    const thawed = counted(false);
    const thawedMeta = { ...newMetadata(now), versions: { 1: thawed } };
    text(thawedMeta);
    text(thawedMeta);
    metadataBytes({ ...thawedMeta }, thawedMeta);
    assert.equal(reads, 3);
  });

  test('a kept text follows its version, not its number: pruning, new versions, replaced objects', () => {
    const frozenInfo = (t: number, destroyed = false) => Object.freeze(info(t, 0, destroyed));
    let meta: KeyMetadata = { ...newMetadata(now), versions: {} };
    for (let v = 1; v <= 25; v++) {
      const versions: Record<string, VersionInfo> = {};
      // Keep the last 10, as writeVersion prunes; every fifth write replaces version v-3's object.
      for (const [k, o] of Object.entries(meta.versions)) if (Number(k) > v - 10) versions[k] = o;
      if (v % 5 === 0 && versions[v - 3]) versions[v - 3] = frozenInfo(now + 1000 + v, true);
      versions[v] = frozenInfo(now + v);
      const next: KeyMetadata = { ...meta, currentVersion: v, versions };
      const bytes = Buffer.from(metadataBytes(next, meta)).toString('utf8');
      assert.deepEqual(JSON.parse(bytes), JSON.parse(JSON.stringify(next)), `write ${v}`);
      meta = deepFreeze(next) as KeyMetadata;
    }
  });

  test('never gives one object the text of another', () => {
    const a = Object.freeze(info(now, 0, false));
    const b = Object.freeze(info(now + 1, now + 2, true));
    const withA = { ...newMetadata(now), versions: { 1: a } };
    const withB = { ...newMetadata(now), versions: { 1: b } };
    sameAsStringify(withA);
    sameAsStringify(withB);
    sameAsStringify(withA);
    // The same version number with an equal-looking but mutable object, changed between writes.
    const mutable = info(now);
    const meta = { ...newMetadata(now), versions: { 1: mutable } };
    sameAsStringify(meta);
    mutable.destroyed = true;
    mutable.deletionTime = now + 7;
    sameAsStringify(meta);
    assert.deepEqual(JSON.parse(text(meta)).versions['1'], mutable);
  });
});

/** Keeps what each transaction wrote, in memory, without storing it (the writes' ops are looked at). */
class RecordingBackend extends InmemBackend {
  readonly written: TxOp[][] = [];
  override async transaction(ops: TxOp[]): Promise<void> {
    this.written.push(ops);
  }
}

describe('writeVersion', () => {
  const now = 1_767_225_600_123;
  const config = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };
  /** A key at `current` holding its last ten versions, frozen as the barrier's cache holds it. */
  const keyAt = (current: number): KeyMetadata => {
    const versions: Record<string, VersionInfo> = {};
    for (let n = current - 9; n <= current; n++) versions[n] = info(now + n);
    return deepFreeze({ ...newMetadata(now), currentVersion: current, oldestVersion: current - 9, versions });
  };

  for (const current of [5, SPARSE_FROM - 1, SPARSE_FROM, 499, 1500]) {
    test(`from version ${current}: the new version is added, the oldest pruned, in one transaction`, async () => {
      const backend = new RecordingBackend();
      const storage = new StorageView(backend, 'kv/');
      const before = keyAt(Math.max(current, 10));
      const written = await writeVersion(storage, 'app/db', before, config, { password: 'x' }, now + 1);
      const version = before.currentVersion + 1;
      assert.equal(written.version, version);
      assert.deepEqual(Object.keys(written.meta.versions).map(Number), [
        ...Array.from({ length: 9 }, (_, i) => version - 9 + i),
        version,
      ]);
      assert.deepEqual(written.meta.versions[version], {
        createdTime: now + 1,
        deletionTime: 0,
        destroyed: false,
      });
      assert.equal(written.meta.oldestVersion, version - 9);
      const [ops] = backend.written;
      assert.deepEqual(
        ops.map((op) => `${op.op} ${op.key}`),
        [
          `put kv/versions/app/db/${version}`,
          `delete kv/versions/app/db/${version - 10}`,
          'put kv/metadata/app/db',
        ],
      );
      // What is stored parses to the table the cache is handed, and the cache can freeze it.
      const metadataOp = ops[2];
      assert.equal(metadataOp.op, 'put');
      const stored = JSON.parse(Buffer.from(metadataOp.value).toString('utf8'));
      assert.deepEqual(stored, JSON.parse(JSON.stringify(written.meta)));
      assert.doesNotThrow(() => deepFreeze(written.meta));
    });
  }

  test('a damaged table holding the next version number gets the new version, not an error', async () => {
    const damaged = { ...keyAt(200), versions: { ...keyAt(200).versions, 201: info(1, 1, true) } };
    const written = await writeVersion(
      new StorageView(new RecordingBackend(), ''),
      'k',
      damaged,
      config,
      {},
      now,
    );
    assert.equal(written.version, 201);
    assert.deepEqual(written.meta.versions[201], { createdTime: now, deletionTime: 0, destroyed: false });
  });

  test('a key written hundreds of times keeps a version table of its ten versions, not one as long as its history', async () => {
    // The heap is measured around 1,000 tables kept alive: each shares nine version objects with the key
    // it was written from, so a table costs itself and one version object. Built by assignment, ten
    // versions numbered 491-500 took ~6.4 KB in V8 (a 500-slot array); as a dictionary ~0.8 KB.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const backend = new RecordingBackend();
    const storage = new StorageView(backend, '');
    const before = keyAt(499);
    const tables: unknown[] = [];
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++)
      tables.push((await writeVersion(storage, `k${i}`, before, config, {}, now)).meta.versions);
    // The writes' other garbage (bytes, ops) goes; the recorded ops are dropped with the backend's list.
    backend.written.length = 0;
    gc();
    const perTable = (process.memoryUsage().heapUsed - heapBefore) / tables.length;
    assert.ok(perTable < 2048, `a version table took ${Math.round(perTable)} bytes of heap`);
  });
});
