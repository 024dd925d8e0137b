/**
 * Test-only: an HA lock several nodes contend on in memory, the way PostgreSQL's does in one table.
 * The database's clock decides whether a hold has lapsed, and a backend's writes are fenced while
 * its node's lock is taken (until it releases it), as the real backend's are.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { type Clock, FakeClock } from '../../framework/clock.js';
import type { Engine } from '../../framework/engine.js';
import type { StorageBackend, TxOp } from '../../storage/backend.js';
import {
  FencedWriteError,
  type HaBackend,
  type HaLeader,
  type HaLock,
  type HaLockOptions,
} from '../../storage/ha.js';
import { InmemBackend } from '../../storage/inmem.js';
import { newTestCore, sender, startDevCore } from '../testing.js';

interface Hold extends HaLeader {
  expiresAt: number;
}

/** The shared lock row. `clock` is the database's clock. */
export class FakeLockDatabase {
  hold?: Hold;
  constructor(readonly clock: Clock) {}

  /** The holder now, if its hold has not lapsed. */
  current(): Hold | undefined {
    const hold = this.hold;
    return hold && hold.expiresAt > this.clock.now() ? hold : undefined;
  }

  /** As OpenBao's test deletes the lock rows from under the active node. */
  deleteLock(): void {
    this.hold = undefined;
  }
}

export class FakeHaLock implements HaLock {
  /** Between a successful tryAcquire and release: writes need the hold. */
  fencing = false;
  /** Makes renew and tryAcquire throw, as an unreachable database does. */
  unreachable = false;
  /** Makes every lock call wait for ever, as a cut connection without a timeout does. */
  hanging = false;

  constructor(
    private readonly db: FakeLockDatabase,
    readonly options: HaLockOptions,
  ) {}

  get nodeId(): string {
    return this.options.nodeId;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.hanging) await new Promise(() => undefined);
    if (this.unreachable) throw new Error('connection refused');
    const current = this.db.current();
    if (current && current.nodeId !== this.nodeId) return false;
    this.db.hold = {
      nodeId: this.nodeId,
      apiAddr: this.options.apiAddr,
      clusterAddr: this.options.clusterAddr ?? '',
      expiresAt: this.db.clock.now() + this.options.ttlMs,
    };
    this.fencing = true;
    return true;
  }

  async renew(): Promise<boolean> {
    if (this.hanging) await new Promise(() => undefined);
    if (this.unreachable) throw new Error('connection refused');
    if (!this.holds()) return false;
    this.db.hold!.expiresAt = this.db.clock.now() + this.options.ttlMs;
    return true;
  }

  async release(): Promise<void> {
    if (this.hanging) await new Promise(() => undefined);
    if (this.holds()) this.db.hold = undefined;
  }

  async leader(): Promise<HaLeader | undefined> {
    if (this.hanging) await new Promise(() => undefined);
    const current = this.db.current();
    return current && { nodeId: current.nodeId, apiAddr: current.apiAddr, clusterAddr: current.clusterAddr };
  }

  holds(): boolean {
    return this.db.current()?.nodeId === this.nodeId;
  }
}

/** One node's view of a shared backend: its own lock, its writes fenced by it. */
export class FakeHaBackend implements HaBackend {
  readonly haEnabled = true;
  lock?: FakeHaLock;

  constructor(
    private readonly shared: StorageBackend,
    private readonly db: FakeLockDatabase,
  ) {}

  get type(): string {
    return this.shared.type;
  }

  haLock(options: HaLockOptions): FakeHaLock {
    this.lock = new FakeHaLock(this.db, options);
    return this.lock;
  }

  get(key: string) {
    return this.shared.get(key);
  }

  list(prefix: string) {
    return this.shared.list(prefix);
  }

  async put(key: string, value: Uint8Array) {
    this.checkFence();
    return this.shared.put(key, value);
  }

  async delete(key: string) {
    this.checkFence();
    return this.shared.delete(key);
  }

  async transaction(ops: TxOp[]) {
    this.checkFence();
    return this.shared.transaction(ops);
  }

  async close() {}

  private checkFence(): void {
    if (this.lock?.fencing && !this.lock.holds()) {
      this.lock.options.onFenced?.();
      throw new FencedWriteError();
    }
  }
}

/** Lets the election's async steps run after the fake clock fired its timers. */
export async function settle(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) await tick();
}

/** Moves the fake clock in steps: each renewal or retry is a timer the previous step armed. */
export async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 250) {
    clock.advance(Math.min(250, ms - done));
    await settle();
  }
  if (ms === 0) {
    clock.advance(0);
    await settle();
  }
}

/**
 * Two nodes on one in-memory storage and one fake lock: A initialised, unsealed and active; B unsealed
 * with A's key and standing by.
 */
export async function startTwoNodes(options: {
  engines: Engine[];
  ttlMs: number;
  apiAddrs?: [() => string, () => string];
}) {
  const clock = new FakeClock();
  const shared = new InmemBackend();
  const db = new FakeLockDatabase(clock);
  const physicalA = new FakeHaBackend(shared, db);
  const physicalB = new FakeHaBackend(shared, db);
  const [apiA, apiB] = options.apiAddrs ?? [() => 'http://a:8200', () => 'http://b:8200'];
  const node = (nodeId: string) => ({
    engines: options.engines,
    clock,
    ha: { nodeId, ttlMs: options.ttlMs },
  });
  const a = await startDevCore({ ...node('node-a'), physical: physicalA, apiAddr: apiA });
  await advance(clock, 0);
  const b = newTestCore({ ...node('node-b'), physical: physicalB, apiAddr: apiB });
  await b.submitUnsealKey(Buffer.from(a.key).toString('hex'));
  await advance(clock, 1000);
  return {
    clock,
    db,
    a,
    b,
    sendB: sender(b),
    lockA: physicalA.lock!,
    lockB: physicalB.lock!,
    token: a.rootToken,
  };
}
