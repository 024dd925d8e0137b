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

  test('a frozen version keeps its text; a thawed one is serialized each time', () => {
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
    sameAsStringify(meta);
    sameAsStringify({ ...meta, currentVersion: 1 });
    assert.equal(reads, 3, 'stringified once by metadataBytes and twice by the check');

    reads = 0;
    const thawed = counted(false);
    text({ ...newMetadata(now), versions: { 1: thawed } });
    text({ ...newMetadata(now), versions: { 1: thawed } });
    assert.equal(reads, 2);
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
