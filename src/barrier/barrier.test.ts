import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { CofferError } from '../core/errors.js';
import { InmemBackend } from '../storage/inmem.js';
import { encryptEntry } from './aes-gcm.js';
import { Barrier } from './barrier.js';

const text = (v: Uint8Array | undefined) => (v ? Buffer.from(v).toString('utf8') : undefined);

/**
 * A read that must fail: a cached read answers with a value (see MaybePromise), a failure is always a
 * rejection. A value here makes `assert.rejects` fail; a synchronous throw fails the test too.
 */
const asPromise = (value: unknown): Promise<unknown> => Promise.resolve(value);

async function openBarrier() {
  const physical = new InmemBackend();
  const barrier = new Barrier(physical, { cacheBytes: 0 });
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  return { physical, barrier, rootKey };
}

function status(error: unknown): number | undefined {
  return error instanceof CofferError ? error.status : undefined;
}

describe('barrier', () => {
  test('round trip, with a fresh nonce on every write', async () => {
    const { physical, barrier } = await openBarrier();
    await barrier.put('app/a', Buffer.from('same'));
    const first = Buffer.from((await physical.get('app/a'))!);
    await barrier.put('app/a', Buffer.from('same'));
    const second = Buffer.from((await physical.get('app/a'))!);
    assert.equal(text(await barrier.get('app/a')), 'same');
    assert.notDeepEqual(first, second);
  });

  test('a flipped bit anywhere in a stored entry is refused with 500 and no data', async () => {
    const { physical, barrier } = await openBarrier();
    await barrier.put('app/flip', Buffer.from('secret-value'));
    const stored = Buffer.from((await physical.get('app/flip'))!);
    for (const at of [0, 4, 5, 17, stored.length - 1]) {
      const tampered = Buffer.from(stored);
      tampered[at] ^= 0x01;
      await physical.put('app/flip', tampered);
      await assert.rejects(asPromise(barrier.get('app/flip')), (error: unknown) => {
        assert.equal(status(error), 500);
        assert.doesNotMatch(String(error), /secret-value/);
        return true;
      });
    }
  });

  test('a ciphertext copied to another path is refused', async () => {
    const { physical, barrier } = await openBarrier();
    await barrier.put('a/one', Buffer.from('one'));
    await physical.put('a/two', (await physical.get('a/one'))!);
    await assert.rejects(asPromise(barrier.get('a/two')), (error: unknown) => status(error) === 500);
  });

  test('rotation adds a term; old entries stay readable, new writes use the new term', async () => {
    const { physical, barrier, rootKey } = await openBarrier();
    await barrier.put('r/old', Buffer.from('old'));
    const rotated = await barrier.rotate();
    assert.equal(rotated.term, 2);
    await barrier.put('r/new', Buffer.from('new'));
    assert.equal(Buffer.from((await physical.get('r/new'))!).readUInt32BE(0), 2);
    assert.equal(Buffer.from((await physical.get('r/old'))!).readUInt32BE(0), 1);
    barrier.seal();
    await barrier.unseal(rootKey);
    assert.equal(text(await barrier.get('r/old')), 'old');
    assert.equal(text(await barrier.get('r/new')), 'new');
    assert.equal(barrier.keyStatus().term, 2);
  });

  test('sealed: every operation is 503; a wrong root key does not unseal', async () => {
    const { barrier } = await openBarrier();
    barrier.seal();
    for (const op of [
      () => barrier.get('x'),
      () => barrier.put('x', Buffer.from('y')),
      () => barrier.list(''),
      () => barrier.delete('x'),
    ]) {
      await assert.rejects(asPromise(op()), (error: unknown) => status(error) === 503);
    }
    await assert.rejects(barrier.unseal(randomBytes(32)), /core\/keyring/);
    assert.equal(barrier.isSealed(), true);
  });

  test('a keyring that decrypts but is malformed is refused at unseal, naming core/keyring', async () => {
    const { physical, barrier, rootKey } = await openBarrier();
    barrier.seal();
    const malformed = [
      'not json',
      JSON.stringify({
        active: 2,
        terms: [{ term: 1, key: randomBytes(32).toString('base64'), install_time: 0 }],
      }),
      JSON.stringify({
        active: 1,
        terms: [{ term: 1, key: randomBytes(8).toString('base64'), install_time: 0 }],
      }),
    ];
    for (const plain of malformed) {
      await physical.put('core/keyring', encryptEntry(rootKey, 0, 'core/keyring', Buffer.from(plain)));
      await assert.rejects(barrier.unseal(rootKey), (error: unknown) => {
        assert.equal(status(error), 500);
        assert.match(String(error), /core\/keyring.*malformed/);
        return true;
      });
      assert.equal(barrier.isSealed(), true);
    }
  });

  test('reserved physical keys cannot be reached through the barrier', async () => {
    const { barrier } = await openBarrier();
    for (const key of ['core/keyring', 'core/seal-config', 'core/root-key', 'core/lock']) {
      await assert.rejects(asPromise(barrier.get(key)));
      await assert.rejects(barrier.put(key, Buffer.from('x')));
    }
  });

  test('no canary reaches physical storage in clear, base64 or hex', async () => {
    const { physical, barrier } = await openBarrier();
    const canaries = Array.from({ length: 20 }, () => `canary-${randomBytes(8).toString('hex')}`);
    for (const [i, canary] of canaries.entries())
      await barrier.put(`c/${i}`, Buffer.from(JSON.stringify({ password: canary })));
    const everything: Buffer[] = [];
    const walk = async (prefix: string) => {
      for (const child of await physical.list(prefix)) {
        if (child.endsWith('/')) await walk(prefix + child);
        else everything.push(Buffer.from((await physical.get(prefix + child))!));
      }
    };
    await walk('');
    const raw = Buffer.concat(everything);
    for (const canary of canaries) {
      for (const form of [
        canary,
        Buffer.from(canary).toString('base64'),
        Buffer.from(canary).toString('hex'),
      ]) {
        assert.equal(raw.includes(form), false);
      }
    }
  });

  test('the decrypted-entry cache hands out copies and follows writes', async () => {
    const barrier = new Barrier(new InmemBackend());
    await barrier.initialize(randomBytes(32));
    await barrier.put('cache/k', Buffer.from('v1'));
    const read = (await barrier.get('cache/k'))!;
    read[0] = 0x58;
    assert.equal(text(await barrier.get('cache/k')), 'v1');
    await barrier.put('cache/k', Buffer.from('v2'));
    assert.equal(text(await barrier.get('cache/k')), 'v2');
    await barrier.delete('cache/k');
    assert.equal(await barrier.get('cache/k'), undefined);
  });

  test('a read in flight while a delete commits does not put the old value back in the cache', async () => {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.put('race/k', Buffer.from('old'));
    // Sealing empties the cache, so the next read goes to storage.
    barrier.seal();
    await barrier.unseal(rootKey);
    const get = physical.get.bind(physical);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first physical read returns the old ciphertext but only after the delete below commits
    // (as an fsync wait on a recently written key does on sqlite).
    physical.get = async (key: string) => {
      const value = await get(key);
      physical.get = get;
      await held;
      return value;
    };
    const inFlight = barrier.get('race/k');
    await barrier.delete('race/k');
    release();
    assert.equal(text(await inFlight), 'old', 'the read answers what it read');
    assert.equal(await barrier.get('race/k'), undefined, 'but the cache does not keep it');
  });

  test('readJson shares one frozen value per cached entry, and a write replaces it', async () => {
    const barrier = new Barrier(new InmemBackend());
    await barrier.initialize(randomBytes(32));
    await barrier.put('json/k', Buffer.from(JSON.stringify({ a: { b: 1 }, list: [1] })));
    const first = (await barrier.readJson('json/k')) as { a: { b: number }; list: number[] };
    assert.deepEqual(first, { a: { b: 1 }, list: [1] });
    assert.equal(await barrier.readJson('json/k'), first, 'the second read shares the parsed value');
    assert.throws(() => {
      first.a.b = 2;
    }, TypeError);
    assert.throws(() => first.list.push(2), TypeError);
    // A caller that wants its own copy still gets one.
    const own = JSON.parse(text(await barrier.get('json/k'))!);
    own.a.b = 3;
    assert.deepEqual(await barrier.readJson('json/k'), { a: { b: 1 }, list: [1] });
    await barrier.put('json/k', Buffer.from('{"a":2}'));
    assert.deepEqual(await barrier.readJson('json/k'), { a: 2 });
    await barrier.delete('json/k');
    assert.equal(await barrier.readJson('json/k'), undefined);
  });

  test('readJson without a cache still answers frozen values', async () => {
    const { barrier } = await openBarrier();
    await barrier.put('json/n', Buffer.from('{"x":[1,2]}'));
    const value = (await barrier.readJson('json/n')) as { x: number[] };
    assert.deepEqual(value, { x: [1, 2] });
    assert.ok(Object.isFrozen(value.x));
  });

  test('a miss is cached, and a later write or delete is seen at once', async () => {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    await barrier.initialize(randomBytes(32));
    let reads = 0;
    const get = physical.get.bind(physical);
    physical.get = (key: string) => {
      reads++;
      return get(key);
    };
    assert.equal(await barrier.get('neg/k'), undefined);
    assert.equal(await barrier.get('neg/k'), undefined);
    assert.equal(await barrier.readJson('neg/k'), undefined);
    assert.equal(reads, 1, 'only the first read reached storage');
    await barrier.put('neg/k', Buffer.from('{"v":1}'));
    assert.deepEqual(await barrier.readJson('neg/k'), { v: 1 });
    await barrier.delete('neg/k');
    assert.equal(await barrier.get('neg/k'), undefined);
    assert.equal(reads, 1, 'a delete leaves the key cached as absent');
  });

  test('a key only written is read from storage once, then cached; a cached key follows its writes', async () => {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    await barrier.initialize(randomBytes(32));
    const reads: string[] = [];
    const get = physical.get.bind(physical);
    physical.get = (key: string) => {
      reads.push(key);
      return get(key);
    };
    await barrier.put('cold/k', Buffer.from('v1'));
    assert.equal(text(await barrier.get('cold/k')), 'v1');
    assert.equal(text(await barrier.get('cold/k')), 'v1');
    assert.deepEqual(reads, ['cold/k'], 'the write did not fill the cache; the first read did');
    await barrier.put('cold/k', Buffer.from('v2'));
    assert.equal(text(await barrier.get('cold/k')), 'v2');
    assert.deepEqual(reads, ['cold/k'], 'once cached, the key takes the written value');
  });

  test('a cached key written with its parsed JSON is read back as that value, frozen, and storage never sees it', async () => {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    await barrier.initialize(randomBytes(32));
    const committed: unknown[] = [];
    const transaction = physical.transaction.bind(physical);
    physical.transaction = (ops) => {
      committed.push(...ops);
      return transaction(ops);
    };
    await barrier.put('meta/k', Buffer.from('{"v":1}'));
    assert.deepEqual(await barrier.readJson('meta/k'), { v: 1 }, 'read once, so now cached');
    const next = { v: 2, nested: { n: [1, 2] } };
    await barrier.transaction([
      { op: 'put', key: 'meta/k', value: Buffer.from(JSON.stringify(next)), json: next },
    ]);
    const read = await barrier.readJson('meta/k');
    assert.equal(read, next, 'the writer’s value, not a parse of the bytes');
    assert.ok(Object.isFrozen(next) && Object.isFrozen(next.nested.n), 'frozen all the way down');
    assert.ok(
      committed.every((op) => !Object.hasOwn(op as object, 'json')),
      'the parsed value stays above storage',
    );
    // An uncached key is not pulled in by a write, parsed value or not (write-no-allocate).
    const cold = { v: 3 };
    await barrier.transaction([{ op: 'put', key: 'meta/cold', value: Buffer.from('{"v":3}'), json: cold }]);
    assert.ok(!Object.isFrozen(cold));
    assert.deepEqual(await barrier.readJson('meta/cold'), { v: 3 });
  });

  /** A barrier whose storage reads under herd/ are counted and, while `hold()` is pending, held until released. */
  async function heldReads() {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    const get = physical.get.bind(physical);
    let gate: Promise<void> | undefined;
    const state = { reads: 0 };
    // Only the tests' own keys are counted and held (unseal reads the keyring through here too).
    physical.get = async (key: string) => {
      if (!key.startsWith('herd/')) return get(key);
      state.reads++;
      const value = await get(key);
      await gate;
      return value;
    };
    const hold = () => {
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    };
    return { barrier, rootKey, state, hold };
  }

  test('concurrent reads of an uncached key share one storage read, each with its own copy', async () => {
    const { barrier, state, hold } = await heldReads();
    await barrier.put('herd/k', Buffer.from('value'));
    const release = hold();
    const reads = Array.from({ length: 5 }, () => barrier.get('herd/k'));
    release();
    const values = await Promise.all(reads);
    assert.equal(state.reads, 1, 'one storage read for five callers');
    assert.deepEqual(values.map(text), Array(5).fill('value'));
    (values[0] as Buffer).fill(0);
    assert.equal(text(values[1]), 'value', "a caller changing its bytes changes nobody else's");
    assert.equal(text(await barrier.get('herd/k')), 'value');
    assert.equal(state.reads, 1, 'and the shared read filled the cache');
  });

  test('a write that fails after storage applied it does not leave the old value cached (G3)', async () => {
    const physical = new InmemBackend();
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.put('race/f', Buffer.from('old'));
    barrier.seal();
    await barrier.unseal(rootKey);
    const get = physical.get.bind(physical);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    physical.get = async (key: string) => {
      const value = await get(key);
      physical.get = get;
      await held;
      return value;
    };
    // The commit lands but its acknowledgement is lost (a dropped connection): the caller sees an error.
    const transaction = physical.transaction.bind(physical);
    physical.transaction = async (ops) => {
      await transaction(ops);
      physical.transaction = transaction;
      throw new Error('connection lost');
    };
    const inFlight = barrier.get('race/f');
    await assert.rejects(barrier.put('race/f', Buffer.from('new')));
    release();
    assert.equal(text(await inFlight), 'old', 'the read answers what it read');
    assert.equal(text(await barrier.get('race/f')), 'new', 'but the cache does not keep it');
  });

  test('a read that starts after a write commits never joins a read from before it', async () => {
    const { barrier, state, hold } = await heldReads();
    await barrier.put('herd/w', Buffer.from('old'));
    const release = hold();
    const before = barrier.get('herd/w');
    await barrier.put('herd/w', Buffer.from('new'));
    const after = barrier.get('herd/w');
    release();
    assert.equal(text(await after), 'new', 'read-your-writes');
    assert.equal(text(await before), 'old', 'the earlier read answers what it read');
    assert.equal(state.reads, 2);
    assert.equal(text(await barrier.get('herd/w')), 'new');
  });

  test('a read in flight across a seal is not joined after unseal, and caches nothing', async () => {
    const { barrier, rootKey, state, hold } = await heldReads();
    await barrier.put('herd/s', Buffer.from('secret'));
    const release = hold();
    const beforeSeal = barrier.get('herd/s');
    barrier.seal();
    await barrier.unseal(rootKey);
    const afterUnseal = barrier.get('herd/s');
    release();
    // The sealed read decrypts with the wiped keyring and fails; the new one is its own read.
    await assert.rejects(asPromise(beforeSeal));
    assert.equal(text(await afterUnseal), 'secret');
    assert.equal(state.reads, 2);
  });
});
