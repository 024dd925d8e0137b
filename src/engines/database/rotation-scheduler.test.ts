/** The rotation scheduler survives a storage failure: no unhandled rejection, and stop() still resolves. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { Logger } from '../../framework/log.js';
import type { StorageView } from '../../framework/storage-view.js';
import type { Connections } from './connections.js';
import { RotationScheduler } from './rotation-scheduler.js';

test('a pass whose storage listing fails is logged and retried, and stop() resolves', async () => {
  const clock = new FakeClock();
  let lists = 0;
  const storage = {
    list: async () => {
      lists++;
      throw new Error('storage unavailable');
    },
  } as unknown as StorageView;
  const warnings: string[] = [];
  const log = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
  const scheduler = new RotationScheduler(
    { storage, clock, log, locks: new KeyedMutex(), connections: {} as Connections },
    1_000,
  );
  scheduler.start();
  clock.advance(0);
  await new Promise((resolve) => setImmediate(resolve));
  clock.advance(1_000);
  await scheduler.stop();
  assert.equal(lists, 2);
  assert.deepEqual(warnings, [
    'static role rotation pass failed; will retry',
    'static role rotation pass failed; will retry',
  ]);
});
