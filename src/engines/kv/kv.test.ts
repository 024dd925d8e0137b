import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CofferError } from '../../core/errors.js';
import { FakeClock } from '../../framework/clock.js';
import { mountForTest, rejection } from '../../framework/testing.js';
import { createKvEngine } from './index.js';

const v2 = (clock = new FakeClock()) => mountForTest(createKvEngine(), { clock, options: { version: '2' } });
const statusOf = (error: unknown) => (error instanceof CofferError ? error.status : 0);

async function rejectsWith(promise: Promise<unknown>, status: number, message?: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(statusOf(error), status);
    if (message) assert.equal((error as Error).message, message);
    return true;
  });
}

describe('kv v2 check-and-set', () => {
  const cases = [
    { name: 'first write without cas', existing: 0, cas: undefined, ok: true },
    { name: 'cas 0 on a new key', existing: 0, cas: 0, ok: true },
    { name: 'cas 3 on a new key is refused', existing: 0, cas: 3, ok: false },
    { name: 'cas 0 on an existing key is refused', existing: 2, cas: 0, ok: false },
    { name: 'cas equal to the current version', existing: 2, cas: 2, ok: true },
    { name: 'cas behind the current version is refused', existing: 2, cas: 1, ok: false },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const kv = await v2();
      for (let i = 0; i < c.existing; i++) await kv.request('update', 'data/app', { data: { n: i } });
      const write = kv.request('update', 'data/app', {
        data: { n: 'new' },
        options: c.cas === undefined ? undefined : { cas: c.cas },
      });
      if (c.ok) assert.equal((await write)?.data?.version, c.existing + 1);
      else await rejectsWith(write, 400, 'check-and-set parameter did not match the current version');
    });
  }

  test('cas_required on the mount refuses a write without cas', async () => {
    const kv = await v2();
    await kv.request('update', 'config', { cas_required: true });
    await rejectsWith(
      kv.request('update', 'data/app', { data: { a: 1 } }),
      400,
      'check-and-set parameter required for this call',
    );
    await rejectsWith(
      kv.request('update', 'data/app', { data: { a: 1 }, options: { cas: 'x' } }),
      400,
      'error parsing check-and-set parameter',
    );
  });

  test('50 concurrent writers with cas: exactly one winner per version', async () => {
    const kv = await v2();
    await kv.request('update', 'data/race', { data: { n: 0 } });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        kv.request('update', 'data/race', { data: { writer: i }, options: { cas: 1 } }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const meta = await kv.request('read', 'metadata/race');
    assert.equal(meta?.data?.current_version, 2);
    assert.deepEqual(Object.keys(meta?.data?.versions as object), ['1', '2']);
  });

  test('50 concurrent writers without cas: 50 distinct versions, none lost', async () => {
    const kv = await v2();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => kv.request('update', 'data/many', { data: { i } })),
    );
    const versions = results.map((r) => r?.data?.version as number).sort((a, b) => a - b);
    assert.deepEqual(
      versions,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});

describe('kv v2 versions', () => {
  test('read, read an older version, soft delete, undelete, destroy', async () => {
    const kv = await v2();
    await kv.request('update', 'data/app', { data: { v: 1 } });
    await kv.request('update', 'data/app', { data: { v: 2 } });
    assert.deepEqual((await kv.request('read', 'data/app'))?.data?.data, { v: 2 });
    assert.deepEqual((await kv.request('read', 'data/app', { version: '1' }))?.data?.data, { v: 1 });
    assert.equal(await kv.request('read', 'data/app', { version: '9' }), undefined);
    await kv.request('update', 'delete/app', { versions: [2] });
    const deleted = await kv.request('read', 'data/app');
    assert.equal(deleted?.httpStatus, 404);
    assert.equal((deleted!.data as { data: unknown }).data, null);
    assert.notEqual((deleted!.data as { metadata: { deletion_time: string } }).metadata.deletion_time, '');
    await kv.request('update', 'undelete/app', { versions: [2] });
    assert.deepEqual((await kv.request('read', 'data/app'))?.data?.data, { v: 2 });
    await kv.request('update', 'destroy/app', { versions: [2] });
    const destroyed = await kv.request('read', 'data/app');
    assert.equal((destroyed!.data as { metadata: { destroyed: boolean } }).metadata.destroyed, true);
    await kv.request('update', 'undelete/app', { versions: [2] });
    assert.equal((await kv.request('read', 'data/app'))?.httpStatus, 404, 'a destroyed version stays gone');
    await rejectsWith(kv.request('update', 'delete/app', {}), 400, 'no version number provided');
    // Vault reads the latest version for 0 and negatives, and skips versions that name nothing.
    const latest = await kv.request('read', 'data/app', { version: '-1' });
    assert.equal(latest?.httpStatus, 404);
    assert.equal((latest!.data as { metadata: { version: number } }).metadata.version, 2);
    await kv.request('update', 'undelete/app', { versions: [0, -1] });
    await rejectsWith(kv.request('update', 'undelete/app', { versions: ['x'] }), 400);
  });

  test('DELETE on data/ soft-deletes the latest version only', async () => {
    const kv = await v2();
    await kv.request('update', 'data/k', { data: { v: 1 } });
    await kv.request('update', 'data/k', { data: { v: 2 } });
    await kv.request('delete', 'data/k');
    assert.equal((await kv.request('read', 'data/k'))?.httpStatus, 404);
    assert.deepEqual((await kv.request('read', 'data/k', { version: '1' }))?.data?.data, { v: 1 });
  });

  test('versions beyond max_versions are pruned oldest first', async () => {
    const kv = await v2();
    await kv.request('update', 'metadata/pruned', { max_versions: 3 });
    for (let i = 1; i <= 3; i++) await kv.request('update', 'data/pruned', { data: { i } });
    const before = (await kv.request('read', 'metadata/pruned'))?.data as { oldest_version: number };
    // Vault: at current - oldest >= max_versions, oldest_version = current - max_versions + 1.
    assert.equal(before.oldest_version, 1, "Vault's oldest_version moves once max_versions is reached");
    for (let i = 4; i <= 5; i++) await kv.request('update', 'data/pruned', { data: { i } });
    const meta = (await kv.request('read', 'metadata/pruned'))?.data as {
      versions: object;
      oldest_version: number;
    };
    assert.deepEqual(Object.keys(meta.versions), ['3', '4', '5']);
    assert.equal(meta.oldest_version, 3);
    assert.equal(await kv.request('read', 'data/pruned', { version: '1' }), undefined);
  });

  test("max_versions: the greater of the key's and the mount's is kept, as Vault", async () => {
    for (const [mount, key, kept] of [
      [5, 2, ['1', '2', '3', '4']],
      [2, 5, ['1', '2', '3', '4']],
      [2, 0, ['3', '4']],
      [0, 3, ['2', '3', '4']],
    ] as const) {
      const kv = await v2();
      await kv.request('update', 'config', { max_versions: mount });
      await kv.request('update', 'metadata/k', { max_versions: key });
      for (let i = 1; i <= 4; i++) await kv.request('update', 'data/k', { data: { i } });
      const meta = (await kv.request('read', 'metadata/k'))?.data as { versions: object };
      assert.deepEqual(Object.keys(meta.versions), kept, `mount ${mount}, key ${key}`);
      assert.deepEqual((await kv.request('read', 'data/k', { version: kept[0] }))?.data?.data, {
        i: Number(kept[0]),
      });
    }
  });

  test("oldest_version follows Vault's window from the write that reaches max_versions", async () => {
    const kv = await v2();
    await kv.request('update', 'metadata/one', { max_versions: 1 });
    await kv.request('update', 'data/one', { data: { i: 1 } });
    let meta = (await kv.request('read', 'metadata/one'))?.data as {
      versions: object;
      oldest_version: number;
    };
    assert.equal(meta.oldest_version, 1, 'max_versions=1, one write');
    assert.deepEqual(Object.keys(meta.versions), ['1']);
    await kv.request('update', 'data/one', { data: { i: 2 } });
    meta = (await kv.request('read', 'metadata/one'))?.data as { versions: object; oldest_version: number };
    assert.equal(meta.oldest_version, 2);
    assert.deepEqual(Object.keys(meta.versions), ['2']);
    await kv.request('update', 'data/two', { data: { i: 1 } });
    const below = (await kv.request('read', 'metadata/two'))?.data as { oldest_version: number };
    assert.equal(below.oldest_version, 0, 'under max_versions: still 0');
  });

  test('delete_version_after: readable before, deleted after', async () => {
    const clock = new FakeClock();
    const kv = await v2(clock);
    await kv.request('update', 'config', { delete_version_after: '1h' });
    await kv.request('update', 'data/temp', { data: { t: 1 } });
    const fresh = await kv.request('read', 'data/temp');
    assert.equal(fresh?.httpStatus, undefined);
    assert.notEqual((fresh!.data as { metadata: { deletion_time: string } }).metadata.deletion_time, '');
    clock.advance(3601_000);
    assert.equal((await kv.request('read', 'data/temp'))?.httpStatus, 404);
    assert.equal((await kv.request('read', 'config'))?.data?.delete_version_after, '1h0m0s');
  });

  test('undelete restarts delete_version_after from now, as Vault', async () => {
    for (const [mount, key, seconds] of [
      ['1h', '0s', 3600],
      ['0s', '10m', 600],
      ['1h', '10m', 600],
    ] as const) {
      const clock = new FakeClock();
      const kv = await v2(clock);
      await kv.request('update', 'config', { delete_version_after: mount });
      await kv.request('update', 'metadata/temp', { delete_version_after: key });
      await kv.request('update', 'data/temp', { data: { t: 1 } });
      clock.advance(seconds * 1000 + 1000);
      assert.equal((await kv.request('read', 'data/temp'))?.httpStatus, 404, `${mount}/${key}: expired`);
      await kv.request('update', 'undelete/temp', { versions: [1] });
      const restored = await kv.request('read', 'data/temp');
      assert.deepEqual(restored?.data?.data, { t: 1 }, `${mount}/${key}: restored`);
      const expected = new Date(clock.now() + seconds * 1000).toISOString();
      assert.equal(
        (restored!.data as { metadata: { deletion_time: string } }).metadata.deletion_time,
        expected,
      );
      clock.advance(seconds * 1000 + 1000);
      assert.equal(
        (await kv.request('read', 'data/temp'))?.httpStatus,
        404,
        `${mount}/${key}: expired again`,
      );
    }
    const kv = await v2();
    await kv.request('update', 'data/plain', { data: { p: 1 } });
    await kv.request('delete', 'data/plain');
    await kv.request('update', 'undelete/plain', { versions: [1] });
    const plain = (await kv.request('read', 'data/plain'))?.data as { metadata: { deletion_time: string } };
    assert.equal(plain.metadata.deletion_time, '', 'no delete_version_after: restored for good');
  });

  test("a key's delete_version_after may shorten the mount's, never lengthen it", async () => {
    for (const [mount, key, expectedSeconds] of [
      ['3s', '1h', 3],
      ['1h', '2s', 2],
      ['3s', '0s', 3],
      ['0s', '5s', 5],
    ] as const) {
      const clock = new FakeClock();
      const kv = await v2(clock);
      await kv.request('update', 'config', { delete_version_after: mount });
      await kv.request('update', 'metadata/temp', { delete_version_after: key });
      await kv.request('update', 'data/temp', { data: { t: 1 } });
      clock.advance((expectedSeconds - 1) * 1000);
      assert.equal(
        (await kv.request('read', 'data/temp'))?.httpStatus,
        undefined,
        `${mount}/${key}: too early`,
      );
      clock.advance(1001);
      assert.equal((await kv.request('read', 'data/temp'))?.httpStatus, 404, `${mount}/${key}: deleted`);
    }
  });

  test('a data/ or subkeys/ path ending in "/" names no key: 404 and nothing written', async () => {
    const kv = await v2();
    const write = await kv.request('update', 'data/a/b/', { data: { x: 1 } });
    assert.equal(write?.httpStatus, 404);
    assert.equal((await kv.request('read', 'data/a/b/'))?.httpStatus, 404);
    assert.equal(await kv.request('read', 'subkeys/a/b/'), undefined, 'a plain 404: no key "a/b/"');
    assert.deepEqual((await kv.request('list', 'metadata/a/'))?.data?.keys ?? [], [], 'no key was made');
    await kv.request('update', 'data/a/b', { data: { x: 1 } });
    assert.deepEqual((await kv.request('list', 'metadata/a/'))?.data?.keys, ['b']);
  });

  test('a value over the 1 MiB storage entry limit is a 413 and writes nothing', async () => {
    const kv = await v2();
    const big = 'x'.repeat(600 * 1024);
    await rejectsWith(kv.request('update', 'data/big', { data: { a: big, b: big } }), 413);
    assert.deepEqual(
      (await kv.request('list', 'metadata/'))?.data?.keys ?? [],
      [],
      'no version, no metadata',
    );
    assert.equal((await kv.request('update', 'data/big', { data: { a: big } }))?.data?.version, 1);
    const v1 = await mountForTest(createKvEngine());
    await rejectsWith(v1.request('update', 'big', { a: big, b: big }), 413);
    assert.equal(await v1.request('read', 'big'), undefined);
  });

  test('merge patch updates, removes with null, and needs an existing version', async () => {
    const kv = await v2();
    const missing = await kv.request('patch', 'data/p', { data: { a: 1 } });
    assert.deepEqual(missing, { httpStatus: 404 }, 'a bare 404, nothing else');
    assert.equal(await kv.request('read', 'metadata/p'), undefined, 'a failed PATCH creates nothing');
    await kv.request('update', 'data/p', { data: { a: 1, b: { c: 2, d: 3 } } });
    await kv.request('patch', 'data/p', { data: { a: null, b: { c: 9 } } });
    assert.deepEqual((await kv.request('read', 'data/p'))?.data?.data, { b: { c: 9, d: 3 } });
  });

  test('PATCH checks cas before it finds the latest version deleted; the 404 carries flat metadata', async () => {
    const kv = await v2();
    await kv.request('update', 'data/gone', { data: { a: 1 } });
    await kv.request('delete', 'data/gone');
    await rejectsWith(
      kv.request('patch', 'data/gone', { data: { a: 2 }, options: { cas: 7 } }),
      400,
      'check-and-set parameter did not match the current version',
    );
    const gone = await kv.request('patch', 'data/gone', { data: { a: 2 }, options: { cas: 1 } });
    assert.equal(gone?.httpStatus, 404);
    assert.equal(gone?.data?.version, 1);
    assert.notEqual(gone?.data?.deletion_time, '');
  });

  test('a metadata write that sets nothing stores nothing, as Vault', async () => {
    const kv = await v2();
    assert.equal(await kv.request('update', 'metadata/blank', {}), undefined);
    assert.equal(await kv.request('read', 'metadata/blank'), undefined);
    assert.deepEqual((await kv.request('list', 'metadata/'))?.data?.keys ?? [], []);
    await kv.request('update', 'metadata/blank', { max_versions: 3 });
    assert.equal((await kv.request('read', 'metadata/blank'))?.data?.max_versions, 3);
  });

  test("cas_required=false under a mount that requires cas answers with Vault's warning", async () => {
    const warning =
      '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';
    const kv = await v2();
    assert.equal(
      await kv.request('update', 'metadata/c', { cas_required: false }),
      undefined,
      'no mount cas',
    );
    await kv.request('update', 'config', { cas_required: true });
    assert.deepEqual((await kv.request('update', 'metadata/c', { cas_required: false }))?.warnings, [
      warning,
    ]);
    assert.deepEqual((await kv.request('patch', 'metadata/c', { cas_required: false }))?.warnings, [warning]);
    assert.equal((await kv.request('update', 'metadata/c', { cas_required: true }))?.warnings, undefined);
    assert.equal((await kv.request('update', 'metadata/c', { max_versions: 2 }))?.warnings, undefined);
    await rejectsWith(
      kv.request('update', 'data/c', { data: { a: 1 } }),
      400,
      'check-and-set parameter required for this call',
    );
  });

  test('metadata write and PATCH leave updated_time alone; a version write moves it, as Vault', async () => {
    const clock = new FakeClock();
    const kv = await v2(clock);
    const times = async () => {
      const meta = (await kv.request('read', 'metadata/u'))?.data as {
        created_time: string;
        updated_time: string;
      };
      return [meta.created_time, meta.updated_time];
    };
    await kv.request('update', 'metadata/u', { max_versions: 4 });
    const [created] = await times();
    assert.deepEqual(await times(), [created, created], 'a new key: created = updated');
    clock.advance(60_000);
    await kv.request('update', 'metadata/u', { custom_metadata: { a: 'b' } });
    await kv.request('patch', 'metadata/u', { max_versions: 5 });
    assert.deepEqual(await times(), [created, created]);
    clock.advance(60_000);
    await kv.request('update', 'data/u', { data: { x: 1 } });
    const written = new Date(clock.now()).toISOString();
    assert.deepEqual(await times(), [created, written]);
    clock.advance(60_000);
    await kv.request('patch', 'metadata/u', { cas_required: true });
    assert.deepEqual(await times(), [created, written]);
  });

  test('metadata PATCH of a key that does not exist is a 404 and creates nothing', async () => {
    const kv = await v2();
    await rejectsWith(kv.request('patch', 'metadata/none', { max_versions: 2 }), 404);
    assert.equal(await kv.request('read', 'metadata/none'), undefined);
  });

  test('metadata: custom_metadata, patch, limits, list and delete everything', async () => {
    const kv = await v2();
    await kv.request('update', 'data/team/app', { data: { x: 1 } });
    await kv.request('update', 'metadata/team/app', { custom_metadata: { owner: 'a' } });
    await kv.request('patch', 'metadata/team/app', { custom_metadata: { env: 'prod' } });
    const meta = (await kv.request('read', 'metadata/team/app'))?.data;
    assert.deepEqual(meta?.custom_metadata, { owner: 'a', env: 'prod' });
    assert.deepEqual((await kv.request('read', 'data/team/app'))?.data?.metadata, {
      ...((await kv.request('read', 'data/team/app'))?.data?.metadata as object),
      custom_metadata: { owner: 'a', env: 'prod' },
    });
    await rejectsWith(
      kv.request('update', 'metadata/team/app', { custom_metadata: { k: 'v'.repeat(600) } }),
      400,
    );
    assert.deepEqual((await kv.request('list', 'metadata/'))?.data?.keys, ['team/']);
    assert.deepEqual((await kv.request('list', 'metadata/team/'))?.data?.keys, ['app']);
    await kv.request('delete', 'metadata/team/app');
    assert.equal(await kv.request('read', 'data/team/app'), undefined);
    assert.equal(await kv.request('read', 'metadata/team/app'), undefined);
  });

  test('custom_metadata: non-strings are weak-decoded, unprintable characters refused, as Vault', async () => {
    const kv = await v2();
    await kv.request('update', 'metadata/cm', {
      custom_metadata: { n: 1, f: 1.5, t: true, no: false, s: 'x' },
    });
    assert.deepEqual((await kv.request('read', 'metadata/cm'))?.data?.custom_metadata, {
      n: '1',
      f: '1.5',
      t: '1',
      no: '0',
      s: 'x',
    });
    await kv.request('patch', 'metadata/cm', { custom_metadata: { n: 2, s: null } });
    assert.deepEqual((await kv.request('read', 'metadata/cm'))?.data?.custom_metadata, {
      n: '2',
      f: '1.5',
      t: '1',
      no: '0',
    });
    await rejectsWith(
      kv.request('update', 'metadata/cm', { custom_metadata: { k: 'a\u0000b' } }),
      400,
      '1 error occurred:\n\t* custom_metadata validation failed: value for key "k" contains unprintable characters\n\n',
    );
    await rejectsWith(
      kv.request('patch', 'metadata/cm', { custom_metadata: { k: 'tab\there' } }),
      400,
      '1 error occurred:\n\t* custom_metadata validation failed: value for key "k" contains unprintable characters\n\n',
    );
    await rejectsWith(
      kv.request('update', 'metadata/cm', { custom_metadata: { 'a\nb': 'v' } }),
      400,
      '1 error occurred:\n\t* custom_metadata validation failed: key "a\\nb" (a\nb) contains unprintable characters\n\n',
    );
    await rejectsWith(kv.request('update', 'metadata/cm', { custom_metadata: { k: { nested: 'x' } } }), 400);
    await rejectsWith(kv.request('update', 'metadata/cm', { custom_metadata: { k: null } }), 400);
    const kept = (await kv.request('read', 'metadata/cm'))?.data?.custom_metadata as Record<string, string>;
    assert.equal(kept.n, '2', 'refusals change nothing');
    await kv.request('update', 'metadata/cm', { custom_metadata: { ok: 'spaces and ünïcödé ✓' } });
  });

  test("custom_metadata: every problem in one 400, in Vault's multierror text, no value echoed", async () => {
    const kv = await v2();
    const prefix = 'custom_metadata validation failed';
    const longKey = 'k'.repeat(129);
    const error = await rejection(
      kv.request('update', 'metadata/cm', {
        custom_metadata: {
          ok: 'fine',
          [longKey]: 's3cret\u0001value',
          empty: '',
          'tab\tkey': 'v',
          big: 'x'.repeat(513),
        },
      }),
    );
    assert.equal(error.status, 400);
    const lines = [
      '5 errors occurred:',
      `\t* ${prefix}: length of key "${longKey}" is 129 but must be 0 < len(key) <= 128`,
      `\t* ${prefix}: value for key "${longKey}" contains unprintable characters`,
      `\t* ${prefix}: length of value for key "empty" is 0 but must be 0 < len(value) <= 512`,
      `\t* ${prefix}: key "tab\\tkey" (tab\tkey) contains unprintable characters`,
      `\t* ${prefix}: length of value for key "big" is 513 but must be 0 < len(value) <= 512`,
    ];
    assert.equal(error.message, `${lines.join('\n')}\n\n`);
    assert.deepEqual(error.details, [], 'one error string, as Vault sends it');
    assert.doesNotMatch(error.message, /s3cret|xxxx/, 'values are never echoed');
    // The same through PATCH, which validates what it merges.
    await kv.request('update', 'metadata/cm', { custom_metadata: { ok: 'fine' } });
    const patched = await rejection(
      kv.request('patch', 'metadata/cm', { custom_metadata: { a: '', b: 'x'.repeat(513) } }),
    );
    assert.match(patched.message, /^2 errors occurred:\n\t\* .*"a" is 0 .*\n\t\* .*"b" is 513 .*\n\n$/);
    // Past 64 keys only the count is reported, even if keys are bad too.
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i === 0 ? '' : 'v']));
    const tooMany = await rejection(kv.request('update', 'metadata/cm', { custom_metadata: many }));
    assert.equal(
      tooMany.message,
      `1 error occurred:\n\t* ${prefix}: payload must contain at most 64 keys, provided 65\n\n`,
    );
    // A value that is no string at all is reported alone and unwrapped, as Vault's decode step does.
    const nested = await rejection(
      kv.request('update', 'metadata/cm', { custom_metadata: { bad: '', k: { s3cret: 'x' } } }),
    );
    assert.equal(
      nested.message,
      `${prefix}: value for key "k": expected type 'string', got unconvertible type 'map[string]interface {}'`,
    );
    assert.deepEqual((await kv.request('read', 'metadata/cm'))?.data?.custom_metadata, { ok: 'fine' });
  });

  test('subkeys with depth', async () => {
    const kv = await v2();
    await kv.request('update', 'data/s', { data: { a: 1, b: { c: { d: 2 } } } });
    assert.deepEqual((await kv.request('read', 'subkeys/s'))?.data?.subkeys, {
      a: null,
      b: { c: { d: null } },
    });
    assert.deepEqual((await kv.request('read', 'subkeys/s', { depth: '1' }))?.data?.subkeys, {
      a: null,
      b: null,
    });
  });

  test('subkeys: an empty nested map is null, as Vault', async () => {
    const kv = await v2();
    await kv.request('update', 'data/e', { data: { a: {}, b: { c: {}, d: 1 } } });
    assert.deepEqual((await kv.request('read', 'subkeys/e'))?.data?.subkeys, {
      a: null,
      b: { c: null, d: null },
    });
  });

  test('bad writes get a 400', async () => {
    const kv = await v2();
    await rejectsWith(kv.request('update', 'data/x', {}), 400, 'no data provided');
    await rejectsWith(kv.request('update', 'data/x', { data: 'text' }), 400);
    await rejectsWith(kv.request('update', 'data/x', { data: [1, 2] }), 400);
  });

  test("LIST on data/ (or any path outside metadata/) is Vault's 404 naming `vault kv list`, not a 405", async () => {
    const kv = await v2();
    await kv.request('update', 'data/team/app', { data: { x: 1 } });
    const listWarning =
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv list' for this operation.";
    // Vault's data pattern refuses a trailing "/" and a LIST path always has one, so its catch-all
    // path (which declares LIST) answers, even at the root of data/.
    for (const path of ['data/', 'data/team/', 'data/team/app/', 'team/', 'config/']) {
      const res = await kv.request('list', path);
      assert.equal(res?.httpStatus, 404, path);
      assert.deepEqual(res?.warnings, [listWarning], path);
      assert.equal(res?.data, undefined, path);
    }
    assert.deepEqual(
      (await kv.request('list', 'metadata/team/'))?.data?.keys,
      ['app'],
      'the LIST that works',
    );
    // Paths whose Vault pattern matches (`subkeys/.*`, `delete/.*`, …) but declares no LIST stay 405.
    for (const path of ['subkeys/team/', 'subkeys/', 'delete/team/', 'delete/', 'undelete/', 'destroy/']) {
      await rejectsWith(kv.request('list', path), 405, 'unsupported operation');
    }
  });

  test('the root warning is for the bare sub-path roots only, compared as sent (Vault)', async () => {
    const kv = await v2();
    const root = 'Non-listing operations on the root of a K/V v2 mount are not supported.';
    for (const path of ['data', 'metadata', 'delete', 'undelete', 'destroy']) {
      assert.deepEqual((await kv.request('read', path))?.warnings, [root], path);
    }
    for (const path of ['data/', 'subkeys']) {
      const warning = (await kv.request('read', path))?.warnings?.[0] ?? '';
      assert.match(warning, /^Invalid path for a versioned K\/V secrets engine.*'vault kv get'/, path);
    }
  });

  test("a path outside the v2 sub-paths answers 404 with Vault's warning", async () => {
    const kv = await v2();
    for (const [operation, path, body] of [
      ['read', 'app', {}],
      ['update', 'foo', { x: 1 }],
    ] as const) {
      const res = await kv.request(operation, path, body);
      assert.equal(res?.httpStatus, 404);
      assert.equal(res?.warnings?.length, 1, `${path}: only Vault's one warning, ${res?.warnings}`);
      assert.match(
        res?.warnings?.[0] ?? '',
        /Invalid path for a versioned K\/V secrets engine.*vault kv (get|put)/,
      );
    }
  });
});

describe('kv v1 and the upgrade to v2', () => {
  test('v1 read, write, list, delete at depth', async () => {
    const kv = await mountForTest(createKvEngine());
    await kv.request('update', 'a/b/c', { password: 'p', ttl: '1h' });
    const read = await kv.request('read', 'a/b/c');
    assert.deepEqual(read?.data, { password: 'p', ttl: '1h' });
    assert.equal(read?.lease?.ttlSeconds, 3600);
    assert.deepEqual((await kv.request('list', 'a/'))?.data?.keys, ['b/']);
    await kv.request('delete', 'a/b/c');
    assert.equal(await kv.request('read', 'a/b/c'), undefined);
    await rejectsWith(kv.request('update', 'a/empty', {}), 400);
  });

  test('tuning to version 2 converts every key in place', async () => {
    const engine = createKvEngine();
    const v1 = await mountForTest(engine);
    const keys = ['one', 'dir/two', 'dir/deeper/three'];
    for (const key of keys) await v1.request('update', key, { value: key });
    const options = { version: '2' };
    const upgraded = { ...v1.ctx, system: { ...v1.ctx.system, options: () => options } };
    await engine.initialize?.(upgraded);
    for (const key of keys) {
      const req = { id: 'r', operation: 'read' as const, path: `data/${key}`, data: {}, mountPoint: 'kv/' };
      const res = await engine.handleRequest(upgraded, req);
      assert.deepEqual(res?.data?.data, { value: key });
      assert.equal((res!.data!.metadata as { version: number }).version, 1);
    }
  });
});
