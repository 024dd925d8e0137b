/**
 * Two cores on one storage and one HA lock (the in-memory fake of PostgreSQL's): exactly one is
 * active, the other a standby that takes over when the active steps down, loses its lock or has a
 * write fenced, and then serves what the other wrote, under the keyring as the other left it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kvEngine } from '../../engines/kv/index.js';
import { FakeClock } from '../../framework/clock.js';
import { defineEngine } from '../../framework/engine.js';
import { silentLogger } from '../../framework/log.js';
import { definePath } from '../../framework/path.js';
import { CofferError } from '../errors.js';
import { Election, STEP_DOWN_SLEEP_MS } from './election.js';
import { advance, FakeHaLock, FakeLockDatabase, settle, startTwoNodes } from './testing.js';

const TTL_MS = 3000;
const twoNodes = () => startTwoNodes({ engines: [kvEngine], ttlMs: TTL_MS });

const isStandbyError = (error: unknown) =>
  error instanceof CofferError && error.status === 503 && error.message === 'Vault is in standby mode';

test('exactly one node is active; the standby is unsealed but serves nothing itself', async () => {
  const { a, b, sendB, token } = await twoNodes();
  assert.equal(a.core.isStandby(), false);
  assert.equal(a.core.isSealed(), false);
  assert.equal(b.isStandby(), true);
  assert.deepEqual(await b.leaderStatus(), {
    haEnabled: true,
    isSelf: false,
    activeSince: 0,
    leader: { nodeId: 'node-a', apiAddr: 'http://a:8200', clusterAddr: '' },
  });
  assert.equal((await a.core.leaderStatus()).isSelf, true);
  await a.send('update', 'sys/mounts/kv', token, { type: 'kv', options: { version: '2' } });
  await assert.rejects(sendB('read', 'sys/mounts', token), isStandbyError);
});

test('step-down: the active node waits, gives the lock up, and the other takes over; it does not retake it at once', async () => {
  const { clock, a, b, sendB, token, lockA } = await twoNodes();
  a.core.stepDown();
  await settle();
  assert.equal(a.core.isStandby(), true);
  // Released, and still fenced: a straggler write of A's would be refused, never committed.
  assert.equal(lockA.holds(), false);
  assert.equal(lockA.fencing, true);
  await advance(clock, 1000);
  assert.equal(b.isStandby(), false);
  assert.ok((await sendB('read', 'sys/mounts', token)).response?.data);
  // B steps down too: A sits out its step-down sleep, so nobody is active for a while, then A is.
  b.stepDown();
  await advance(clock, 1000);
  assert.equal(a.core.isStandby(), true);
  await advance(clock, STEP_DOWN_SLEEP_MS);
  assert.equal(a.core.isStandby(), false);
  assert.equal(b.isStandby(), true);
});

test('a lost renewal steps the active node down; the standby takes over once the hold lapses', async () => {
  const { clock, db, a, b } = await twoNodes();
  db.deleteLock();
  await advance(clock, TTL_MS / 3 + 1);
  assert.equal(a.core.isStandby(), true);
  await advance(clock, 2000);
  assert.equal([a.core.isStandby(), b.isStandby()].filter((standby) => !standby).length, 1);
});

test('an unreachable database: the active node keeps its hold a TTL at most, then steps down', async () => {
  const { clock, a, b, lockA } = await twoNodes();
  lockA.unreachable = true;
  await advance(clock, TTL_MS - 1000);
  assert.equal(a.core.isStandby(), false);
  await advance(clock, 2000);
  assert.equal(a.core.isStandby(), true);
  assert.equal(b.isStandby(), false);
});

test('a database that stops answering: the active node serves a TTL at most by its own clock, and can still be sealed', async () => {
  const { clock, a, b, lockA } = await twoNodes();
  lockA.hanging = true;
  await advance(clock, TTL_MS - 1000);
  assert.equal(a.core.isStandby(), false);
  // Its renewal never answers; the standby takes the lapsed lock meanwhile.
  await advance(clock, 2000);
  assert.equal(a.core.isStandby(), true);
  assert.equal(b.isStandby(), false);
  let sealed = false;
  void a.core.sealVault().then(() => {
    sealed = true;
  });
  await advance(clock, TTL_MS + 1000);
  assert.equal(sealed, true);
  assert.equal(a.core.isSealed(), true);
});

test('a standby whose database stops answering can still be sealed', async () => {
  const { clock, b, lockB } = await twoNodes();
  lockB.hanging = true;
  // B's next attempt at the lock is under way and never answers; nor would its question for the leader.
  await advance(clock, 1500);
  let sealed = false;
  void b.sealVault().then(() => {
    sealed = true;
  });
  await advance(clock, 2 * TTL_MS + 1000);
  assert.equal(sealed, true);
  assert.equal(b.isSealed(), true);
});

test('a fenced write answers an error, not a crash, and steps the node down', async () => {
  const { clock, db, a, b, token, lockA } = await twoNodes();
  await a.send('update', 'sys/mounts/kv', token, { type: 'kv', options: { version: '2' } });
  // The lock goes to B between two renewals of A's (a partition, a long pause).
  lockA.unreachable = true;
  db.deleteLock();
  await advance(clock, 1000);
  assert.equal(b.isStandby(), false);
  lockA.unreachable = false;
  await assert.rejects(
    a.send('update', 'kv/data/x', token, { data: { v: 1 } }),
    (error) =>
      error instanceof CofferError && error.status === 500 && error.message === 'fenced write failed',
  );
  await settle();
  assert.equal(a.core.isStandby(), true);
  assert.equal(lockA.holds(), false);
});

test('takeover reads the keyring, mounts, policies and secrets the other node wrote', async () => {
  const { clock, a, b, sendB, token, lockA } = await twoNodes();
  await a.send('update', 'sys/rotate', token);
  await a.send('update', 'sys/policies/acl/app', token, {
    policy: 'path "kv/*" { capabilities = ["read"] }',
  });
  await a.send('update', 'sys/mounts/kv', token, { type: 'kv', options: { version: '2' } });
  await a.send('update', 'kv/data/app', token, { data: { password: 'after-rotation' } });
  // A dies: it renews no more, and its hold lapses by the database's clock.
  lockA.unreachable = true;
  await advance(clock, TTL_MS + 1000);
  assert.equal(b.isStandby(), false);
  const keyStatus = await sendB('read', 'sys/key-status', token);
  assert.equal(keyStatus.response?.data?.term, 2);
  const policy = await sendB('read', 'sys/policies/acl/app', token);
  assert.match(String(policy.response?.data?.policy), /kv/);
  const secret = await sendB('read', 'kv/data/app', token);
  assert.deepEqual((secret.response?.data?.data as Record<string, unknown>) ?? {}, {
    password: 'after-rotation',
  });
});

test('sealing the active node releases the lock: the standby takes over on its next try', async () => {
  const { clock, a, b } = await twoNodes();
  await a.core.sealVault();
  assert.equal(a.core.isSealed(), true);
  assert.equal(a.core.isStandby(), false);
  await advance(clock, 1000);
  assert.equal(b.isStandby(), false);
  await assert.rejects(
    a.core.leaderStatus(),
    (error) => error instanceof CofferError && error.status === 503,
  );
});

test('sys/step-down needs sudo, and steps the active node down once the request has ended', async () => {
  const { clock, a, b, token } = await twoNodes();
  const created = await a.send('update', 'auth/token/create', token, { policies: ['default'] });
  const plain = String(created.auth?.client_token);
  await assert.rejects(
    a.send('update', 'sys/step-down', plain),
    (error) => error instanceof CofferError && error.status === 403,
  );
  assert.equal(a.core.isStandby(), false);
  await a.send('update', 'sys/step-down', token);
  // B's next try comes within its retry interval (1 s) of the release.
  await advance(clock, 1500);
  assert.equal(a.core.isStandby(), true);
  assert.equal(b.isStandby(), false);
});

test('step-down lets the requests in flight finish first; requests that arrive meanwhile get the standby 503', async () => {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const slow = defineEngine({
    type: 'slow',
    help: 'a write that waits at a gate',
    paths: [
      definePath({
        pattern: 'wait',
        operations: { update: async () => ({ data: { done: await gate.then(() => true) } }) },
        help: 'waits',
      }),
    ],
  });
  const { clock, a, b, token } = await startTwoNodes({ engines: [slow], ttlMs: TTL_MS });
  await a.send('update', 'sys/mounts/slow', token, { type: 'slow' });
  const inFlight = a.send('update', 'slow/wait', token);
  await settle();
  a.core.stepDown();
  await advance(clock, 2000);
  // Still active for the request in flight: the lock is held, so B waits.
  assert.equal(b.isStandby(), true);
  await assert.rejects(a.send('read', 'sys/mounts', token), isStandbyError);
  open();
  assert.equal((await inFlight).response?.data?.done, true);
  await advance(clock, 1500);
  assert.equal(a.core.isStandby(), true);
  assert.equal(b.isStandby(), false);
});

test('while a node that won the lock builds its state, it names no active node, not the one that lost it', async () => {
  const clock = new FakeClock();
  const db = new FakeLockDatabase(clock);
  const old = new FakeHaLock(db, { nodeId: 'node-old', apiAddr: 'http://old:8200', ttlMs: TTL_MS });
  assert.equal(await old.tryAcquire(), true);
  let built!: () => void;
  const election = new Election({
    lock: new FakeHaLock(db, { nodeId: 'node-new', apiAddr: 'http://new:8200', ttlMs: TTL_MS }),
    clock,
    log: silentLogger,
    ttlMs: TTL_MS,
    becomeActive: () => new Promise<void>((resolve) => (built = resolve)),
    becomeStandby: async () => undefined,
  });
  election.start();
  await advance(clock, 0);
  assert.equal((await election.leader())?.nodeId, 'node-old', 'a standby forwards to the active node');
  // The old node dies; its hold lapses and this node wins the lock, then builds its state.
  await advance(clock, TTL_MS + 1000);
  assert.equal(election.role, 'standby', 'still building');
  assert.equal(await election.leader(), undefined, 'the old node is not named while the new one builds');
  built();
  await settle();
  assert.equal(election.role, 'active');
  await election.stop();
});
