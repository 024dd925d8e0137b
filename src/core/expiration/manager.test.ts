import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { defineEngine } from '../../framework/engine.js';
import { type Logger, silentLogger } from '../../framework/log.js';
import type { EngineContext } from '../../framework/path.js';
import { jsonBytes, StorageView } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';
import { InmemBackend } from '../../storage/inmem.js';
import { timeOrderedName } from '../ids.js';
import { sha256Hex } from '../sha256.js';
import { bucketOf, hashId, keyOf, tagOf } from './due-index.js';
import { ExpirationManager } from './manager.js';

/** A secrets engine whose credentials live in a Set, so a test can see what was revoked at the "source". */
function leasingEngine(failures = { remaining: 0 }) {
  const live = new Set<string>();
  const engine = defineEngine({
    type: 'leasing',
    help: 'test engine',
    paths: [],
    secrets: [
      {
        type: 'cred',
        renew: async () => undefined,
        revoke: async (_ctx, lease) => {
          if (failures.remaining > 0) {
            failures.remaining--;
            throw new Error('source is down');
          }
          live.delete(String(lease.internalData.user));
        },
      },
    ],
  });
  return { engine, live };
}

function setup(
  clock = new FakeClock(),
  backend = new InmemBackend(),
  failures = { remaining: 0 },
  log: Logger = silentLogger,
  random?: () => number,
) {
  const { engine, live } = leasingEngine(failures);
  const ctx = { system: { defaultLeaseTtl: () => 60, maxLeaseTtl: () => 3600 } } as unknown as EngineContext;
  const revokedTokens: string[] = [];
  const manager = new ExpirationManager({
    storage: new StorageView(backend, 'sys/expire/'),
    clock,
    log,
    resolve: (path) => (path.startsWith('leasing/') ? { engine, ctx } : undefined),
    // Every token has expired by the time its entry fires.
    expireToken: async (accessor, _now, alongside) => {
      revokedTokens.push(accessor);
      await StorageView.transaction([alongside]); // as the token store does, with the token's deletion
      return 'revoked';
    },
    random,
  });
  return { manager, live, clock, backend, revokedTokens };
}

async function issue(manager: ExpirationManager, live: Set<string>, ttl: number, accessor?: string) {
  const user = randomUUID();
  live.add(user);
  const { lease } = await manager.register(
    'leasing/creds/app',
    { type: 'cred', ttlSeconds: ttl, renewable: true, internalData: { user } },
    accessor,
    3600,
  );
  return lease;
}

/** Every due entry's name (`<bucket>/<name>`), sorted. */
async function dueNames(backend: InmemBackend): Promise<string[]> {
  const names: string[] = [];
  for (const bucket of await backend.list('sys/expire/due/'))
    for (const name of await backend.list(`sys/expire/due/${bucket}`)) names.push(`${bucket}${name}`);
  return names.sort();
}

/** The due entry name of a lease due at `at` (Unix ms). */
const leaseDueName = (leaseId: string, at: number) => keyOf(at, hashId('lease', leaseId), tagOf(leaseId));

/** Records the keys of every transaction, to see what a call wrote. */
class RecordingBackend extends InmemBackend {
  transactions: string[][] = [];
  override async transaction(ops: Parameters<InmemBackend['transaction']>[0]): Promise<void> {
    this.transactions.push(ops.map((op) => `${op.op} ${op.key}`));
    await super.transaction(ops);
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('a lease is revoked at its source when it expires', async () => {
  const { manager, live, clock } = setup();
  manager.start();
  const lease = await issue(manager, live, 30);
  assert.match(lease.leaseId, /^leasing\/creds\/app\/[A-Za-z0-9]{24}$/);
  clock.advance(29_000);
  await settle();
  assert.equal(live.size, 1);
  clock.advance(2_000);
  await settle();
  assert.equal(live.size, 0);
  assert.equal(await manager.lookup(lease.leaseId), undefined);
  manager.stop();
});

test('renewal extends a lease, capped by its max TTL with a warning', async () => {
  const { manager, live, clock } = setup();
  manager.start();
  const lease = await issue(manager, live, 30);
  clock.advance(20_000);
  const renewed = await manager.renew(lease.leaseId, 120);
  assert.equal(renewed.ttlSeconds, 120);
  clock.advance(100_000);
  await settle();
  assert.equal(live.size, 1, 'still live after the original expiry');
  const capped = await manager.renew(lease.leaseId, 10_000);
  assert.ok(capped.ttlSeconds < 3600);
  assert.match(capped.warnings[0], /capped/);
  manager.stop();
});

test('revoking by token revokes every lease that token created', async () => {
  const { manager, live } = setup();
  await issue(manager, live, 300, 'accessor-a');
  await issue(manager, live, 300, 'accessor-a');
  const other = await issue(manager, live, 300, 'accessor-b');
  await manager.revokeByToken('accessor-a');
  assert.equal(live.size, 1);
  assert.ok(await manager.lookup(other.leaseId));
});

test('a failing source is retried with backoff, marked irrevocable, then revoked when it returns', async () => {
  const failures = { remaining: 8 };
  const { manager, live, clock } = setup(new FakeClock(), new InmemBackend(), failures);
  manager.start();
  const lease = await issue(manager, live, 5);
  for (let i = 0; i < 7; i++) {
    clock.advance(70_000);
    await settle();
  }
  const stuck = await manager.lookup(lease.leaseId);
  assert.equal(stuck?.irrevocable, true);
  assert.equal((await manager.irrevocable()).length, 1);
  assert.equal(live.size, 1);
  for (let i = 0; i < 3; i++) {
    clock.advance(10 * 60_000);
    await settle();
  }
  assert.equal(live.size, 0, 'revoked once the source came back');
  assert.equal(await manager.lookup(lease.leaseId), undefined);
  manager.stop();
});

test('after a restart the due index brings back expirations, including overdue ones', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  await issue(first.manager, first.live, 3);
  await first.manager.scheduleToken('accessor-t', clock.now() + 3000);
  first.manager.stop(); // the process dies
  clock.advance(5_000); // and is down while both expire
  const second = setup(clock, backend);
  for (const user of first.live) second.live.add(user);
  second.manager.start();
  await second.manager.ready;
  clock.advance(1);
  await settle();
  assert.equal(second.live.size, 0);
  assert.deepEqual(second.revokedTokens, ['accessor-t']);
  second.manager.stop();
});

test('unseal indexes due entries by name; an entry in the old layout is moved to the new one and still fires', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  const lease = await issue(first.manager, first.live, 30);
  first.manager.stop();
  // A token's due entry as versions before the time-ordered names wrote it: `<minute>/<id hash>`.
  const at = clock.now() + 20_000;
  const legacy = `sys/expire/due/${bucketOf(at)}/${hashId('token', 'accessor-old')}`;
  await backend.put(legacy, jsonBytes({ kind: 'token', id: 'accessor-old', at }));
  const names = async () => (await backend.list(`sys/expire/due/${bucketOf(at)}/`)).sort();

  const second = setup(clock, backend);
  for (const user of first.live) second.live.add(user);
  second.manager.start();
  await second.manager.ready;
  assert.equal(second.manager.pendingTimers(), 2);
  const nameOf = (key: string) => key.slice(key.indexOf('/') + 1);
  const moved = nameOf(keyOf(at, hashId('token', 'accessor-old'), 'accesso'));
  const leaseName = nameOf(leaseDueName(lease.leaseId, lease.expireTime));
  assert.deepEqual(await names(), [moved, leaseName].sort(), 'the old name is gone, the new one written');
  clock.advance(31_000);
  await settle();
  assert.deepEqual(second.revokedTokens, ['accessor-old']);
  assert.equal(second.live.size, 0, 'the lease, loaded by name only, was revoked');
  assert.deepEqual(await backend.list('sys/expire/due/'), [], 'both due entries are gone');
  second.manager.stop();
});

test('after a restart an entry loaded by name fires within a second of its time, never before', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  await first.manager.scheduleToken('accessor-t', clock.now() + 1500);
  first.manager.stop();
  const second = setup(clock, backend);
  second.manager.start();
  await second.manager.ready;
  clock.advance(1499);
  await settle();
  assert.deepEqual(second.revokedTokens, [], 'not before its time');
  clock.advance(501);
  await settle();
  assert.deepEqual(second.revokedTokens, ['accessor-t'], 'by the next whole second');
  second.manager.stop();
});

/** Applies a transaction at once but answers only when `hold` resolves: a commit not yet acknowledged. */
class HeldBackend extends InmemBackend {
  hold?: Promise<void>;
  override async transaction(ops: Parameters<InmemBackend['transaction']>[0]): Promise<void> {
    await super.transaction(ops);
    await this.hold;
  }
}

test('a renewal in the same second as the old expiry keeps its due entry when the old timer fires meanwhile', async () => {
  const backend = new HeldBackend();
  const clock = new FakeClock();
  const { manager, live } = setup(clock, backend);
  manager.start();
  const start = clock.now();
  clock.advance(900);
  const lease = await issue(manager, live, 2); // due at start + 2.9 s
  clock.advance(1050);
  let release = () => {};
  backend.hold = new Promise((resolve) => {
    release = resolve;
  });
  const renewing = manager.renew(lease.leaseId, 1); // due at start + 2.95 s: the same second, the same name
  await settle();
  clock.advance(950); // the old timer fires while the renewal's commit is not yet acknowledged
  await settle();
  release();
  backend.hold = undefined;
  await renewing;
  const bucket = `sys/expire/due/${bucketOf(start + 2950)}/`;
  assert.equal((await backend.list(bucket)).length, 1, 'the renewal’s due entry is still stored');
  assert.equal(live.size, 1);
  clock.advance(100);
  await settle();
  assert.equal(live.size, 0, 'revoked at the renewed time');
  assert.deepEqual(await backend.list(bucket), []);
  manager.stop();
});

test('a due entry whose value does not match its name is dropped, not acted on', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const at = clock.now() + 1000;
  // Named for accessor-a, but the value says accessor-b (a copied or corrupted entry).
  const name = `${String(Math.ceil(at / 1000)).padStart(12, '0')}-${hashId('token', 'accessor-a')}`;
  await backend.put(
    `sys/expire/due/${bucketOf(at)}/${name}`,
    jsonBytes({ kind: 'token', id: 'accessor-b', at }),
  );
  const { manager, revokedTokens } = setup(clock, backend);
  manager.start();
  await manager.ready;
  clock.advance(2000);
  await settle();
  assert.deepEqual(revokedTokens, []);
  assert.deepEqual(await backend.list('sys/expire/due/'), []);
  manager.stop();
});

test('the second lease sweep of a revoked token runs only when a lease can have registered after the first', async () => {
  const { manager, live } = setup();
  await issue(manager, live, 300, 'acc');
  const quiet = manager.registrationMark();
  assert.notEqual(quiet, undefined);
  await manager.revokeLateLeases('acc', quiet);
  assert.equal(live.size, 1, 'nothing registered since the mark: the first sweep was enough, none ran');
  const late = issue(manager, live, 300, 'acc');
  assert.equal(manager.registrationMark(), undefined, 'a registration in flight: no mark');
  await late;
  await manager.revokeLateLeases('acc', quiet);
  assert.equal(live.size, 0, 'a lease registered after the mark: the sweep ran and took both');
});

test('revoke-prefix and force', async () => {
  const failures = { remaining: 100 };
  const { manager, live } = setup(new FakeClock(), new InmemBackend(), failures);
  await issue(manager, live, 300);
  await issue(manager, live, 300);
  await assert.rejects(manager.revokePrefix('leasing/creds/'));
  await manager.revokePrefix('leasing/creds/', { force: true });
  assert.deepEqual(await manager.leaseIdsUnder('leasing/'), []);
});

test('a queued revocation (sync=false) that fails is retried, not dropped', async () => {
  const failures = { remaining: 1 };
  const { manager, live, clock } = setup(new FakeClock(), new InmemBackend(), failures);
  manager.start();
  const lease = await issue(manager, live, 3600);
  await manager.revokeQueued(lease.leaseId);
  assert.equal(live.size, 1, 'the source was down');
  assert.equal((await manager.lookup(lease.leaseId))?.revokeAttempts, 1);
  clock.advance(60_000);
  await settle();
  assert.equal(live.size, 0, 'revoked on the retry, long before the lease would have expired');
  assert.equal(await manager.lookup(lease.leaseId), undefined);
  manager.stop();
});

test('a burst of expirations is logged once, with how many were revoked and how many will be retried', async () => {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const record = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
  const log: Logger = { debug: record, info: record, warn: () => undefined, error: record, child: () => log };
  const failures = { remaining: 1 };
  const { manager, live, clock } = setup(new FakeClock(), new InmemBackend(), failures, log);
  manager.start();
  for (let i = 0; i < 5; i++) await issue(manager, live, 30);
  await manager.scheduleToken('accessor-1', clock.now() + 30_000);
  clock.advance(31_000);
  await settle();
  const bursts = lines.filter((l) => l.message === 'revoked expired tokens and leases');
  assert.equal(bursts.length, 1);
  assert.equal(bursts[0].fields?.revoked, 5); // four leases and the token
  assert.equal(bursts[0].fields?.retrying, 1); // the lease whose source failed once
  assert.equal(typeof bursts[0].fields?.seconds, 'number');
  assert.equal(live.size, 1);
  manager.stop();
});

test('retry delays are jittered ±50% around 1 s × 2^(attempt - 1), so leases that failed together spread out', async () => {
  for (const [random, first, second] of [
    [0, 500, 1000],
    [0.5, 1000, 2000],
    [0.999, 1499, 2998],
  ]) {
    const delays: number[] = [];
    const record = (_message: string, fields?: Record<string, unknown>) => {
      if (typeof fields?.retry_in_ms === 'number') delays.push(fields.retry_in_ms);
    };
    const log: Logger = { debug: record, info: record, warn: record, error: record, child: () => log };
    const failures = { remaining: 2 };
    const { manager, live, clock } = setup(new FakeClock(), new InmemBackend(), failures, log, () => random);
    manager.start();
    const lease = await issue(manager, live, 3600);
    await manager.revokeQueued(lease.leaseId);
    clock.advance(first - 1);
    await settle();
    assert.deepEqual(delays, [first], 'not retried before its jittered delay');
    clock.advance(1);
    await settle();
    assert.deepEqual(delays, [first, second]);
    clock.advance(second);
    await settle();
    assert.equal(live.size, 0, 'the third attempt revokes it');
    manager.stop();
  }
});

/** Storage that refuses everything while `down`, as a database outage does. */
class OutageStorage extends InmemBackend {
  down = false;
  private check(): void {
    if (this.down) throw new Error('storage is down');
  }
  override async get(key: string) {
    this.check();
    return super.get(key);
  }
  override async list(prefix: string) {
    this.check();
    return super.list(prefix);
  }
  override async hasAnyUnder(prefix: string) {
    this.check();
    return super.hasAnyUnder(prefix);
  }
  override async transaction(ops: TxOp[]) {
    this.check();
    return super.transaction(ops);
  }
}

test('a lease due while storage is down is revoked within seconds of storage coming back', async () => {
  const backend = new OutageStorage();
  const { manager, live, clock, revokedTokens } = setup(new FakeClock(), backend);
  manager.start();
  const lease = await issue(manager, live, 30);
  const token = 'accessor-due-in-the-outage';
  await manager.scheduleToken(token, clock.now() + 30_000);
  backend.down = true;
  // Its handler fails before it can record a retry: neither the lease nor a retry can be written.
  for (let i = 0; i < 4; i++) {
    clock.advance(10_000);
    await settle();
  }
  assert.equal(live.size, 1);
  backend.down = false;
  // Minutes before the periodic loader would find the due entry again.
  clock.advance(16_000);
  await settle();
  assert.equal(live.size, 0, 'revoked once storage came back');
  assert.equal(await manager.lookup(lease.leaseId), undefined);
  assert.ok(revokedTokens.includes(token));
  assert.equal(await backend.hasAnyUnder('sys/expire/due/'), false, 'a due entry is left');
  assert.equal(manager.pendingTimers(), 0);
  manager.stop();
});

test("a lease failing at its source from its own timer and its token's sweep at once keeps one due entry", async () => {
  const failures = { remaining: 1000 };
  const backend = new InmemBackend();
  const { manager, live, clock } = setup(new FakeClock(), backend, failures);
  manager.start();
  const lease = await issue(manager, live, 30, 'accessor-swept');
  clock.advance(30_000); // its timer fires …
  const sweep = manager.revokeByToken('accessor-swept'); // … while its token is revoked
  await settle();
  await sweep;
  const dueEntries = () => dueNames(backend);
  const attempts = (await manager.lookup(lease.leaseId))?.revokeAttempts;
  assert.equal(attempts, 1000 - failures.remaining, 'every failed attempt is counted once');
  assert.equal((await dueEntries()).length, 1, 'one retry chain, not two');
  failures.remaining = 0;
  clock.advance(10_000);
  await settle();
  assert.equal(live.size, 0);
  assert.deepEqual(await dueEntries(), []);
  manager.stop();
});

test('a manager stopped while its due index loads arms nothing: a sealed manager never fires', async () => {
  const backend = new InmemBackend();
  const first = setup(new FakeClock(), backend);
  await issue(first.manager, first.live, 30);
  const { manager } = setup(first.clock, backend);
  manager.start(); // the load is in flight …
  manager.stop(); // … when the seal comes
  await settle();
  assert.equal(manager.pendingTimers(), 0, 'the load finished after the stop and armed a timer');
});

test('a renewal that extends a lease writes the lease alone; its due entry moves when it fires', async () => {
  const backend = new RecordingBackend();
  const { manager, live, clock } = setup(new FakeClock(), backend);
  manager.start();
  const lease = await issue(manager, live, 30);
  const firstDue = lease.expireTime;
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, firstDue)]);
  clock.advance(10_000);
  backend.transactions = [];
  await manager.renew(lease.leaseId, 120);
  assert.deepEqual(backend.transactions, [[`put sys/expire/id/${lease.leaseId}`]], 'one key written');
  const renewed = (await manager.lookup(lease.leaseId))!;
  assert.equal(renewed.expireTime, clock.now() + 120_000);
  assert.equal(renewed.dueAt, firstDue, 'the lease records where its due entry still is');
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, firstDue)]);

  clock.advance(20_000); // the old entry fires
  await settle();
  assert.equal(live.size, 1, 'not revoked at its old expiry');
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, renewed.expireTime)], 'moved');
  assert.equal((await manager.lookup(lease.leaseId))!.dueAt, undefined);

  clock.advance(100_000);
  await settle();
  assert.equal(live.size, 0, 'revoked at the renewed expiry');
  assert.deepEqual(await dueNames(backend), []);
  manager.stop();
});

test('renewals in a row keep the first due entry; a renewal that shortens the lease moves it at once', async () => {
  const backend = new InmemBackend();
  const { manager, live, clock } = setup(new FakeClock(), backend);
  manager.start();
  const lease = await issue(manager, live, 300);
  await manager.renew(lease.leaseId, 600);
  await manager.renew(lease.leaseId, 900);
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, lease.expireTime)]);
  assert.equal((await manager.lookup(lease.leaseId))!.dueAt, lease.expireTime);

  clock.advance(1_000);
  await manager.renew(lease.leaseId, 10); // earlier than the entry: it must move, or the lease outlives its TTL
  const shortened = (await manager.lookup(lease.leaseId))!;
  assert.equal(shortened.dueAt, undefined);
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, shortened.expireTime)]);
  clock.advance(10_000);
  await settle();
  assert.equal(live.size, 0, 'revoked at the shortened expiry');
  assert.deepEqual(await dueNames(backend), []);
  manager.stop();
});

test('revoking a lease whose renewal left its due entry early removes that entry', async () => {
  const backend = new InmemBackend();
  const { manager, live } = setup(new FakeClock(), backend);
  manager.start();
  const lease = await issue(manager, live, 30);
  await manager.renew(lease.leaseId, 300);
  await manager.revoke(lease.leaseId);
  assert.equal(live.size, 0);
  assert.deepEqual(await dueNames(backend), [], 'no due entry outlives its lease');
  assert.equal(manager.pendingTimers(), 0);
  manager.stop();
});

test('after a restart a renewed lease is not revoked at the due entry its renewal left behind', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  first.manager.start();
  const lease = await issue(first.manager, first.live, 30);
  await first.manager.renew(lease.leaseId, 300);
  first.manager.stop(); // the process dies
  const second = setup(clock, backend);
  for (const user of first.live) second.live.add(user);
  second.manager.start();
  await second.manager.ready;
  clock.advance(31_000); // past the entry's time
  await settle();
  assert.equal(second.live.size, 1, 'still live: it was renewed');
  const renewed = (await second.manager.lookup(lease.leaseId))!;
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, renewed.expireTime)]);
  clock.advance(270_000);
  await settle();
  assert.equal(second.live.size, 0, 'revoked at its renewed expiry');
  second.manager.stop();
});

test('a due entry that fires while its lease is being renewed waits for the renewal, then moves', async () => {
  const backend = new HeldBackend();
  const { manager, live, clock } = setup(new FakeClock(), backend);
  manager.start();
  const lease = await issue(manager, live, 5);
  clock.advance(4_000);
  let release = () => {};
  backend.hold = new Promise((resolve) => {
    release = resolve;
  });
  const renewing = manager.renew(lease.leaseId, 60);
  await settle();
  clock.advance(1_500); // the entry fires while the renewal's commit is not yet acknowledged
  await settle();
  release();
  backend.hold = undefined;
  await renewing;
  await settle();
  assert.equal(live.size, 1, 'the renewal stands');
  const renewed = (await manager.lookup(lease.leaseId))!;
  assert.deepEqual(await dueNames(backend), [leaseDueName(lease.leaseId, renewed.expireTime)]);
  clock.advance(60_000);
  await settle();
  assert.equal(live.size, 0);
  manager.stop();
});

test("a token's leases are named by issue time, in its index and in their ids, and leave with their lease", async () => {
  const { manager, live, clock, backend } = setup();
  const leases = [];
  for (let i = 0; i < 4; i++) {
    leases.push(await issue(manager, live, 600, 'acc-1'));
    clock.advance(1500);
  }
  const folder = `sys/expire/token/${sha256Hex('acc-1')}/`;
  // list() sorts by name: names by hash alone would come back in random order.
  assert.deepEqual(
    await backend.list(folder),
    leases.map((lease) => timeOrderedName(lease.issueTime, sha256Hex(lease.leaseId))),
  );
  assert.deepEqual(
    await backend.list('sys/expire/id/leasing/creds/app/'),
    leases.map((lease) => lease.leaseId.slice('leasing/creds/app/'.length)),
  );
  await manager.revoke(leases[0].leaseId);
  assert.equal((await backend.list(folder)).length, 3);
  await manager.revokeByToken('acc-1');
  assert.equal(live.size, 0);
  assert.deepEqual(await backend.list(folder), []);
  assert.deepEqual(await backend.list('sys/expire/id/'), []);
});

test("a lease indexed under its id's hash alone, as before 2026-12-03, is still revoked with its token", async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  const view = new StorageView(backend, 'sys/expire/');
  const leases = [
    await issue(first.manager, first.live, 600, 'acc-2'),
    await issue(first.manager, first.live, 600, 'acc-2'),
  ];
  const folder = `token/${sha256Hex('acc-2')}/`;
  for (const lease of leases) {
    // Rewritten as an earlier version stored it: no index form, the index entry named by the hash.
    const { tokenIndexForm, ...legacy } = lease;
    assert.equal(tokenIndexForm, 'time');
    await view.putJson(`id/${lease.leaseId}`, legacy);
    await view.delete(`${folder}${timeOrderedName(lease.issueTime, sha256Hex(lease.leaseId))}`);
    await view.putJson(`${folder}${sha256Hex(lease.leaseId)}`, { leaseId: lease.leaseId });
  }
  const { manager } = setup(clock, backend); // a restarted server
  await manager.revoke(leases[0].leaseId);
  assert.deepEqual(await view.list(folder), [sha256Hex(leases[1].leaseId)]);
  await manager.revokeByToken('acc-2');
  assert.deepEqual(await view.list('id/'), [], 'both leases revoked');
  assert.deepEqual(await backend.list('sys/expire/token/'), []);
});

test('due entries of one second sort by their ids’ creation time, so new ones land after the older', async () => {
  const { manager, live, clock, backend } = setup();
  const leases = [];
  for (let i = 0; i < 4; i++) {
    // 10 ms apart: created in the same second, with the same TTL, so due in the same second.
    leases.push(await issue(manager, live, 600 - i * 0.01));
    clock.advance(10);
  }
  const due = leases.map((lease) => leaseDueName(lease.leaseId, lease.expireTime));
  assert.equal(new Set(due.map((name) => name.slice(0, name.indexOf('-')))).size, 1, 'one second');
  // list() sorts by name: names by hash alone would come back in random order.
  assert.deepEqual(await dueNames(backend), due);
  manager.stop();
});

test('a lease’s due entry named without a tag, as before 2026-12-03, fires, and revoking or renewing leaves none', async () => {
  const backend = new InmemBackend();
  const clock = new FakeClock();
  const first = setup(clock, backend);
  const leases = [
    await issue(first.manager, first.live, 30),
    await issue(first.manager, first.live, 30),
    await issue(first.manager, first.live, 60),
  ];
  first.manager.stop();
  // Rewritten as the earlier version named them: `<second>-<id hash>`.
  for (const { leaseId, expireTime } of leases) {
    const tagged = `sys/expire/due/${leaseDueName(leaseId, expireTime)}`;
    await backend.transaction([
      { op: 'delete', key: tagged },
      {
        op: 'put',
        key: `sys/expire/due/${keyOf(expireTime, hashId('lease', leaseId))}`,
        value: (await backend.get(tagged))!,
      },
    ]);
  }
  const second = setup(clock, backend);
  for (const user of first.live) second.live.add(user);
  second.manager.start();
  await second.manager.ready;
  assert.equal(second.manager.pendingTimers(), 3);

  await second.manager.revoke(leases[0].leaseId);
  await second.manager.renew(leases[2].leaseId, 5); // shortens it: its entry moves now
  assert.deepEqual(
    await dueNames(backend),
    [
      keyOf(leases[1].expireTime, hashId('lease', leases[1].leaseId)),
      leaseDueName(leases[2].leaseId, clock.now() + 5000),
    ].sort(),
  );
  clock.advance(31_000);
  await settle();
  assert.equal(second.live.size, 0, 'the untagged entry fired, the moved one too');
  assert.deepEqual(await dueNames(backend), [], 'no due entry is left');
  second.manager.stop();
});
