import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../framework/deep-freeze.js';
import { type KeyMetadata, metadataBytes, newMetadata, type VersionInfo } from './versions.js';

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
