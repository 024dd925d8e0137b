import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock } from '../framework/clock.js';
import { silentLogger } from '../framework/log.js';
import { AutoUnsealLoop } from './auto-unseal.js';

function loop(outcomes: (boolean | Error)[]) {
  const clock = new FakeClock();
  let calls = 0;
  const attempt = async () => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  const unseal = new AutoUnsealLoop({ attempt, clock, log: silentLogger, random: () => 0 });
  return { clock, unseal, calls: () => calls };
}

test('backoff doubles from the base up to the cap (Vault retries every 5 s)', () => {
  const { unseal } = loop([false]);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((n) => unseal.delayAfter(n)),
    [500, 1000, 2000, 4000, 5000, 5000],
  );
});

test('retries after failures and errors until an attempt unseals, then stops', async () => {
  const { clock, unseal, calls } = loop([new Error('transit seal: unreachable'), false, true]);
  unseal.start();
  await tick();
  assert.equal(calls(), 1);
  clock.advance(499);
  await tick();
  assert.equal(calls(), 1, 'waits the backoff');
  clock.advance(1);
  await tick();
  assert.equal(calls(), 2);
  clock.advance(1000);
  await tick();
  assert.equal(calls(), 3);
  assert.equal(unseal.active, false);
  clock.advance(60_000);
  await tick();
  assert.equal(calls(), 3);
});

test('stop (a manual seal) ends the retries', async () => {
  const { clock, unseal, calls } = loop([false]);
  unseal.start();
  await tick();
  unseal.stop();
  clock.advance(60_000);
  await tick();
  assert.equal(calls(), 1);
});
