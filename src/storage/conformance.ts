/** One behaviour suite every storage backend must pass (registered as node:test tests). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isNameScanner, isPrefixProbe, type StorageBackend } from './backend.js';
import { MAX_VALUE_BYTES } from './validate-key.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value ? new TextDecoder().decode(value) : undefined);

export function storageConformance(
  name: string,
  open: () => Promise<StorageBackend>,
  dispose?: (backend: StorageBackend) => Promise<void>,
) {
  describe(`storage conformance: ${name}`, () => {
    let store: StorageBackend;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await dispose?.(store);
      await store.close();
    });

    test('put, get, overwrite and delete', async () => {
      await store.put('basic/a', bytes('one'));
      assert.equal(text(await store.get('basic/a')), 'one');
      await store.put('basic/a', bytes('two'));
      assert.equal(text(await store.get('basic/a')), 'two');
      await store.delete('basic/a');
      assert.equal(await store.get('basic/a'), undefined);
      await store.delete('basic/never-existed');
    });

    test('returned bytes are a copy', async () => {
      await store.put('copy/k', bytes('abc'));
      const value = (await store.get('copy/k'))!;
      value[0] = 0x7a;
      assert.equal(text(await store.get('copy/k')), 'abc');
    });

    test('list returns direct children in byte order, folders once with a slash', async () => {
      for (const key of [
        'ls/b',
        'ls/B',
        'ls/a/1',
        'ls/a/2/deep',
        'ls/a',
        'ls/0',
        'ls/c/x/y/z',
        'lsx/other',
      ]) {
        await store.put(key, bytes(key));
      }
      assert.deepEqual(await store.list('ls/'), ['0', 'B', 'a', 'a/', 'b', 'c/']);
      assert.deepEqual(await store.list('ls/a/'), ['1', '2/']);
      assert.deepEqual(await store.list('ls/c/x/'), ['y/']);
      assert.deepEqual(await store.list('nothing/here/'), []);
      assert.ok((await store.list('')).includes('ls/'));
    });

    test('keys with unicode, spaces and many slashes', async () => {
      const keys = ['uni/секрет/ключ', 'uni/emoji/🔑', 'uni/with space/x', 'uni/日本/語'];
      for (const key of keys) await store.put(key, bytes(key));
      for (const key of keys) assert.equal(text(await store.get(key)), key);
      assert.deepEqual(await store.list('uni/'), ['emoji/', 'with space/', 'секрет/', '日本/']);
    });

    test('1 MiB random values come back byte for byte', async () => {
      const value = randomBytes(MAX_VALUE_BYTES);
      await store.put('big/value', value);
      assert.ok(Buffer.from((await store.get('big/value'))!).equals(value));
    });

    test('a value over 1 MiB is a 413, and nothing of its transaction is written', async () => {
      const tooBig = (error: Error & { code?: string }) =>
        error.code === 'body_too_large' && /value being too large; got 1048577 bytes/.test(error.message);
      await assert.rejects(store.put('huge/alone', randomBytes(MAX_VALUE_BYTES + 1)), tooBig);
      await assert.rejects(
        store.transaction([
          { op: 'put', key: 'huge/small', value: bytes('small') },
          { op: 'put', key: 'huge/big', value: randomBytes(MAX_VALUE_BYTES + 1) },
        ]),
        tooBig,
      );
      assert.deepEqual(await store.list('huge/'), []);
    });

    test('50 concurrent writers: distinct keys all land, one key ends with one whole value', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`conc/k${i}`, bytes(`v${i}`))));
      for (let i = 0; i < 50; i++) assert.equal(text(await store.get(`conc/k${i}`)), `v${i}`);
      const values = Array.from({ length: 50 }, (_, i) => `same-${i}-${'x'.repeat(1000)}`);
      await Promise.all(values.map((v) => store.put('conc/same', bytes(v))));
      assert.ok(values.includes(text(await store.get('conc/same'))!));
    });

    test('a transaction applies all of its operations', async () => {
      await store.put('tx/old', bytes('old'));
      await store.transaction([
        { op: 'put', key: 'tx/a', value: bytes('a') },
        { op: 'put', key: 'tx/b', value: bytes('b') },
        { op: 'delete', key: 'tx/old' },
      ]);
      assert.deepEqual(await store.list('tx/'), ['a', 'b']);
    });

    test('operations on one key within a transaction apply in order: the last one stands', async () => {
      await store.put('txorder/gone', bytes('before'));
      await store.transaction([
        { op: 'put', key: 'txorder/put-then-delete', value: bytes('x') },
        { op: 'delete', key: 'txorder/put-then-delete' },
        { op: 'delete', key: 'txorder/gone' },
        { op: 'put', key: 'txorder/gone', value: bytes('again') },
        { op: 'put', key: 'txorder/twice', value: bytes('first') },
        { op: 'put', key: 'txorder/twice', value: bytes('second') },
      ]);
      assert.equal(await store.get('txorder/put-then-delete'), undefined);
      assert.equal(text(await store.get('txorder/gone')), 'again');
      assert.equal(text(await store.get('txorder/twice')), 'second');
    });

    test('transactions asked for at the same moment apply in the order they were asked for', async () => {
      await Promise.all([
        store.put('order/k', bytes('1')),
        store.transaction([{ op: 'delete', key: 'order/k' }]),
        store.put('order/k', bytes('3')),
        store.put('order/gone', bytes('x')),
        store.delete('order/gone'),
      ]);
      assert.equal(text(await store.get('order/k')), '3');
      assert.equal(await store.get('order/gone'), undefined);
    });

    test('a transaction of only deletes, and an empty value, are stored as given', async () => {
      await store.transaction([
        { op: 'put', key: 'txdel/a', value: bytes('a') },
        { op: 'put', key: 'txdel/empty', value: new Uint8Array(0) },
      ]);
      assert.equal((await store.get('txdel/empty'))?.length, 0);
      await store.transaction([
        { op: 'delete', key: 'txdel/a' },
        { op: 'delete', key: 'txdel/never' },
      ]);
      assert.equal(await store.get('txdel/a'), undefined);
      await store.transaction([]); // nothing to do is not an error
    });

    test('a prefix probe, where the backend has one, agrees with list', async (t) => {
      if (!isPrefixProbe(store)) return t.skip('this backend has no prefix probe');
      await store.put('probe/a/deep/leaf', bytes('x'));
      await store.put('probe/b', bytes('y'));
      assert.equal(await store.hasAnyUnder('probe/'), true);
      assert.equal(await store.hasAnyUnder('probe/a/'), true);
      assert.equal(await store.hasAnyUnder('probe/a/deep/'), true);
      assert.equal(await store.hasAnyUnder('probe/b/'), false, 'a leaf is not a folder');
      assert.equal(await store.hasAnyUnder('probe/c/'), false);
      assert.equal(await store.hasAnyUnder('prob/'), false, 'a prefix of a folder name is not that folder');
      await store.delete('probe/a/deep/leaf');
      assert.equal(await store.hasAnyUnder('probe/a/'), false);
      await assert.rejects(store.hasAnyUnder('probe'), /ends with "\/"/);
    });

    test('a name scan, where the backend has one, pages through exactly the leaves list gives', async (t) => {
      if (!isNameScanner(store)) return t.skip('this backend has no name scan');
      const names = ['b', 'a', 'é', 'Z', '10', '9', 'a b'];
      for (const name of names) await store.put(`scan/f/${name}`, bytes(name));
      await store.put('scan/f/sub/not-a-leaf', bytes('x'));
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.scanNames('scan/f/', after, 3);
        assert.ok(page);
        seen.push(...page.names);
        after = page.next;
        if (after === undefined) break;
      }
      const leaves = (await store.list('scan/f/')).filter((name) => !name.endsWith('/'));
      assert.deepEqual(seen, leaves);
      await assert.rejects(store.scanNames('scan/f', undefined, 3), /ends with "\/"/);
    });

    test('a transaction with one invalid operation applies none', async () => {
      await assert.rejects(
        store.transaction([
          { op: 'put', key: 'txbad/a', value: bytes('a') },
          { op: 'put', key: '', value: bytes('empty key') },
        ]),
      );
      await assert.rejects(store.put('txbad/nul\u0000', bytes('x')));
      await assert.rejects(store.put(`txbad/${'k'.repeat(5000)}`, bytes('x')));
      assert.equal(await store.get('txbad/a'), undefined);
    });
  });
}
