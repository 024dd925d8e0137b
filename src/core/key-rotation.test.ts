/** Automatic barrier key rotation (SECURITY.md D4): by encryption count, by age, counts kept across seals. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Barrier } from '../barrier/barrier.js';
import { DEFAULT_ROTATION } from '../barrier/keyring.js';
import { FakeClock } from '../framework/clock.js';
import { silentLogger } from '../framework/log.js';
import { InmemBackend } from '../storage/inmem.js';
import { KeyRotation, ROTATION_CHECK_MS } from './key-rotation.js';

async function openBarrier() {
  const physical = new InmemBackend();
  const barrier = new Barrier(physical);
  const rootKey = randomBytes(32);
  await barrier.initialize(rootKey);
  return { physical, barrier, rootKey };
}

const write = (barrier: Barrier, n: number, prefix: string) =>
  Promise.all(Array.from({ length: n }, (_, i) => barrier.put(`${prefix}/${i}`, Buffer.from(`v${i}`))));

test('the key rotates once it has made max_operations encryptions; old entries stay readable', async () => {
  const { barrier } = await openBarrier();
  // Below the API's minimum of a million, which only sys/rotate/config enforces.
  await barrier.updateRotationConfig(() => ({ ...DEFAULT_ROTATION, maxOperations: 50 }));
  const clock = new FakeClock();
  const rotation = new KeyRotation(barrier, clock, silentLogger);
  rotation.start();
  await write(barrier, 49, 'before');
  clock.advance(ROTATION_CHECK_MS);
  await rotation.stop();
  assert.equal(barrier.keyStatus().term, 1, 'not yet: 49 of 50');
  rotation.start();
  await write(barrier, 1, 'last');
  clock.advance(ROTATION_CHECK_MS);
  await rotation.stop();
  assert.equal(barrier.keyStatus().term, 2);
  assert.equal(barrier.keyStatus().encryptions, 0);
  assert.equal(Buffer.from((await barrier.get('before/7'))!).toString(), 'v7');
  await barrier.put('after', Buffer.from('x'));
  assert.equal(barrier.keyStatus().encryptions, 1, 'new writes count against the new term');
});

test('the key rotates once it is older than interval; disabled, it never does', async () => {
  const { barrier } = await openBarrier();
  const clock = new FakeClock(Date.now());
  const rotation = new KeyRotation(barrier, clock, silentLogger);
  await barrier.updateRotationConfig(() => ({
    ...DEFAULT_ROTATION,
    intervalSeconds: 86_400,
    enabled: false,
  }));
  clock.advance(2 * 86_400_000);
  await rotation.check();
  assert.equal(barrier.keyStatus().term, 1, 'disabled');
  await barrier.updateRotationConfig(() => ({ ...DEFAULT_ROTATION, intervalSeconds: 86_400 }));
  await rotation.check();
  assert.equal(barrier.keyStatus().term, 2);
  await rotation.check();
  assert.equal(barrier.keyStatus().term, 2, 'the new key is young');
});

test('the encryption count and the rotation config survive a seal and unseal', async () => {
  const { barrier, rootKey } = await openBarrier();
  await barrier.updateRotationConfig(() => ({ maxOperations: 2_000_000, intervalSeconds: 0, enabled: true }));
  await write(barrier, 30, 'x');
  const rotation = new KeyRotation(barrier, new FakeClock(), silentLogger);
  await rotation.stop(); // stores the count, as a seal does
  const counted = barrier.keyStatus().encryptions;
  assert.ok(counted >= 30);
  barrier.seal();
  await barrier.unseal(rootKey);
  assert.equal(barrier.keyStatus().encryptions, counted);
  assert.equal(barrier.rotationConfig().maxOperations, 2_000_000);
});

test('a count written while a rotation is stored never drops the new term', async () => {
  const { barrier, rootKey } = await openBarrier();
  await write(barrier, 5, 'a');
  await Promise.all([barrier.persistEncryptions(), barrier.rotate(), barrier.persistEncryptions()]);
  await barrier.put('under-term-2', Buffer.from('y'));
  barrier.seal();
  await barrier.unseal(rootKey);
  assert.equal(barrier.keyStatus().term, 2);
  assert.equal(Buffer.from((await barrier.get('under-term-2'))!).toString(), 'y');
});

test('a rotation whose keyring write lands after a seal and unseal is refused (503), not half applied', async () => {
  const { physical, barrier, rootKey } = await openBarrier();
  await write(barrier, 7, 'x');
  const counted = barrier.keyStatus().encryptions;
  await barrier.persistEncryptions();
  const put = physical.put.bind(physical);
  let release: () => void = () => undefined;
  physical.put = async (key, value) => {
    if (key === 'core/keyring') await new Promise<void>((resolve) => (release = resolve));
    return put(key, value);
  };
  const rotating = barrier.rotate();
  await new Promise((resolve) => setImmediate(resolve));
  barrier.seal();
  await barrier.unseal(rootKey);
  physical.put = put;
  release();
  await assert.rejects(rotating, (error: Error & { status?: number }) => error.status === 503);
  assert.deepEqual(
    { term: barrier.keyStatus().term, encryptions: barrier.keyStatus().encryptions },
    { term: 1, encryptions: counted },
  );
});
