/**
 * Sealing while requests are in flight (SIGTERM, `sys/seal`): as in Vault, the seal waits for them and
 * refuses new ones with 503; one that outlasts the grace period is cut off with 503, never a 500.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock } from '../framework/clock.js';
import { defineEngine } from '../framework/engine.js';
import { definePath } from '../framework/path.js';
import { CofferError } from './errors.js';
import { startDevCore } from './testing.js';

/** An auth method whose logins wait at a gate: `inside` resolves once one is in, `open` lets it go on. */
function gatedLogins() {
  const gate = {} as { inside: Promise<void>; open: (outcome: 'answer' | 'fail') => void };
  let enter: () => void;
  gate.inside = new Promise((resolve) => {
    enter = resolve;
  });
  const outcome = new Promise<'answer' | 'fail'>((resolve) => {
    gate.open = resolve;
  });
  const engine = defineEngine({
    type: 'gated',
    help: 'test logins',
    paths: [
      definePath({
        pattern: 'login',
        unauthenticated: true,
        operations: {
          update: async () => {
            enter();
            if ((await outcome) === 'fail') throw new Error('the backend went away');
            return { auth: { policies: ['default'], ttlSeconds: 600 } };
          },
        },
        help: 'a login',
      }),
    ],
  });
  return { engine, gate };
}

async function setUp(options: { clock?: FakeClock; sealGraceMs?: number } = {}) {
  const logins = gatedLogins();
  const dev = await startDevCore({ engines: [logins.engine], ...options });
  await dev.send('update', 'sys/auth/gated', dev.rootToken, { type: 'gated' });
  return { ...dev, logins };
}

/** Settles once the promise does, recording the order promises settle in. */
function track(name: string, promise: Promise<unknown>, order: string[]) {
  return promise.then(
    () => order.push(name),
    () => order.push(name),
  );
}

const isSealedError = (error: unknown) => error instanceof CofferError && error.status === 503;

test('a seal waits for the login in flight, which gets its token; a request after the seal began gets 503', async () => {
  const { core, rootToken, send, unseal, logins } = await setUp();
  const order: string[] = [];
  const login = send('update', 'auth/gated/login', undefined);
  await logins.gate.inside;
  const sealed = core.sealVault();
  const tracked = [track('login', login, order), track('seal', sealed, order)];
  await tick();
  assert.deepEqual(order, [], 'the seal did not wait for the login in flight');
  assert.equal(core.isSealed(), false);
  await assert.rejects(send('read', 'sys/mounts', rootToken), isSealedError);

  logins.gate.open('answer');
  const token = (await login).auth?.client_token;
  await Promise.all(tracked);
  assert.deepEqual(order, ['login', 'seal']);
  assert.equal(core.isSealed(), true);
  assert.equal(typeof token, 'string');
  await unseal();
  assert.ok(await core.unsealed.tokens.lookup(String(token)), 'the token the client got is valid');
  await core.sealVault();
});

for (const outcome of ['answer', 'fail'] as const) {
  test(`a login that outlasts the grace period (it would ${outcome}): the seal goes ahead, the login gets 503`, async () => {
    const clock = new FakeClock();
    const { core, send, logins } = await setUp({ clock, sealGraceMs: 5000 });
    const login = send('update', 'auth/gated/login', undefined);
    await logins.gate.inside;
    const sealed = core.sealVault();
    await tick();
    clock.advance(5000);
    await sealed;
    assert.equal(core.isSealed(), true);
    logins.gate.open(outcome);
    await assert.rejects(login, isSealedError);
  });
}

test('sys/seal waits for the other requests in flight, never for itself', async () => {
  // A fake clock never moved: a seal waiting for its own request would never end.
  const { core, rootToken, send, logins } = await setUp({ clock: new FakeClock() });
  const order: string[] = [];
  const login = send('update', 'auth/gated/login', undefined);
  await logins.gate.inside;
  const seal = send('update', 'sys/seal', rootToken);
  const tracked = [track('login', login, order), track('seal', seal, order)];
  await tick();
  assert.deepEqual(order, []);
  logins.gate.open('answer');
  await Promise.all(tracked);
  assert.deepEqual(order, ['login', 'seal']);
  assert.ok((await login).auth?.client_token);
  await seal;
  assert.equal(core.isSealed(), true);
});
