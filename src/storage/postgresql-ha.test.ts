/** The PostgreSQL HA lock and fenced writes (SECURITY.md H3, H4), two backends on one database as two nodes. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import pg from 'pg';
import { storageConformance } from './conformance.js';
import { FencedWriteError, type HaBackend, type HaLock, isHaBackend } from './ha.js';
import { openStorage } from './index.js';
import { PostgresqlBackend } from './postgresql.js';

const url = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const value = (text: string) => Buffer.from(text);
const isFenced = (error: unknown) => error instanceof FencedWriteError;

interface Node {
  backend: PostgresqlBackend & HaBackend;
  lock: HaLock;
}

/** Two nodes (a, b) on one data table and one HA table of their own, dropped afterwards. */
async function withNodes(
  name: string,
  ttlMs: number,
  fn: (a: Node, b: Node, tables: { table: string; haTable: string }, admin: pg.Client) => Promise<void>,
): Promise<void> {
  const suffix = `${process.pid}_${Date.now()}`;
  const tables = { table: `coffer_ha_${name}_${suffix}`, haTable: `coffer_hal_${name}_${suffix}` };
  const open = async (node: string): Promise<Node> => {
    const backend = await PostgresqlBackend.open({ connectionUrl: url, ...tables, haEnabled: true });
    const lock = backend.haLock({
      nodeId: `node-${node}`,
      apiAddr: `https://${node}.example:8200`,
      clusterAddr: `https://${node}.example:8201`,
      ttlMs,
    });
    return { backend, lock };
  };
  const a = await open('a');
  const b = await open('b');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await fn(a, b, tables, admin);
  } finally {
    await admin.end();
    await a.backend.drop();
    await a.backend.close();
    await b.backend.close();
  }
}

/** Backend pids of statements that wait for a lock and mention `text`. */
async function waitingFor(admin: pg.Client, text: string, count: number): Promise<number[]> {
  for (let i = 0; i < 250; i++) {
    // Its snapshot of pg_stat_activity is per transaction, and admin may be inside one.
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const found = await admin.query(
      `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%${text}%`],
    );
    if (found.rows.length >= count) return found.rows.map((row) => row.pid as number);
    await sleep(20);
  }
  throw new Error(`no statement waiting on ${text}`);
}

test('ha_enabled: an HA backend only when set, a bad value named, a bad table refused', async () => {
  const suffix = `${process.pid}_${Date.now()}`;
  const plain = await openStorage('postgresql', { connection_url: url, table: `coffer_hap_${suffix}` });
  const ha = await openStorage('postgresql', {
    connection_url: url,
    table: `coffer_hap_${suffix}`,
    ha_enabled: 'true',
    ha_table: `coffer_hapl_${suffix}`,
  });
  try {
    assert.equal(isHaBackend(plain), false);
    assert.equal(isHaBackend(ha), true);
    const off = await openStorage('postgresql', {
      connection_url: url,
      table: `coffer_hap_${suffix}`,
      ha_enabled: 'false',
    });
    assert.equal(isHaBackend(off), false);
    await off.close();
    await assert.rejects(
      openStorage('postgresql', { connection_url: url, ha_enabled: 'yes' }),
      (error: Error & { code?: string }) =>
        error.code === 'invalid_request' && /ha_enabled must be "true" or "false"/.test(error.message),
    );
    await assert.rejects(
      openStorage('postgresql', { connection_url: url, ha_enabled: 'true', ha_table: 'bad"name' }),
      /invalid table name/,
    );
  } finally {
    await (ha as PostgresqlBackend).drop();
    await ha.close();
    await plain.close();
  }
});

test('two nodes trying at once: exactly one wins, 20 times over', async () => {
  await withNodes('race', 15_000, async (a, b) => {
    for (let round = 0; round < 20; round++) {
      const [wonA, wonB] = await Promise.all([a.lock.tryAcquire(), b.lock.tryAcquire()]);
      assert.equal(Number(wonA) + Number(wonB), 1, `round ${round}: one winner`);
      const winner = wonA ? a : b;
      assert.equal((await winner.lock.leader())?.nodeId, winner.lock.nodeId);
      await winner.lock.release();
    }
  });
});

test('leader() reports the holder and its addresses, and nothing when free', async () => {
  await withNodes('leader', 15_000, async (a, b) => {
    assert.equal(await b.lock.leader(), undefined);
    assert.equal(await a.lock.tryAcquire(), true);
    const expected = {
      nodeId: 'node-a',
      apiAddr: 'https://a.example:8200',
      clusterAddr: 'https://a.example:8201',
    };
    assert.deepEqual(await b.lock.leader(), expected);
    assert.deepEqual(await a.lock.leader(), expected);
    assert.equal(await a.lock.tryAcquire(), true, 'the holder trying again still holds it');
    assert.equal(await b.lock.tryAcquire(), false);
  });
});

test('a hold lapses after its TTL and only then can the other node take it; release frees at once', async () => {
  await withNodes('lapse', 1000, async (a, b) => {
    assert.equal(await a.lock.tryAcquire(), true);
    assert.equal(await b.lock.tryAcquire(), false, 'before the lapse');
    await sleep(1200);
    assert.equal(await b.lock.leader(), undefined, 'lapsed');
    assert.equal(await a.lock.renew(), false, 'a lapsed hold is not renewed');
    assert.equal(await b.lock.tryAcquire(), true, 'after the lapse');
    assert.equal((await a.lock.leader())?.nodeId, 'node-b');
    await b.lock.release();
    assert.equal(await b.lock.leader(), undefined);
    assert.equal(await a.lock.tryAcquire(), true, 'right after the release');
    await b.lock.release(); // not b's: changes nothing
    assert.equal((await b.lock.leader())?.nodeId, 'node-a');
  });
});

test('a node that released the lock never writes unfenced again, until it takes the lock anew', async () => {
  await withNodes('released', 10_000, async (a, b) => {
    assert.equal(await a.lock.tryAcquire(), true);
    await a.backend.put('kept', value('while active'));
    await a.lock.release();
    await assert.rejects(a.backend.put('straggler', value('after release')), isFenced);
    assert.equal(await b.backend.get('straggler'), undefined, 'nothing of the refused write is stored');
    assert.equal(await b.lock.tryAcquire(), true);
    await b.backend.put('from b', value('b is active'));
    await assert.rejects(a.backend.delete('kept'), isFenced);
    await b.lock.release();
    assert.equal(await a.lock.tryAcquire(), true, 'a takes it anew');
    await a.backend.put('again', value('active again'));
    assert.equal(Buffer.from((await b.backend.get('kept'))!).toString(), 'while active');
    assert.equal(Buffer.from((await b.backend.get('again'))!).toString(), 'active again');
  });
});

test('renew extends the hold by the TTL', async () => {
  // Renewed every 700 ms against a 2 s TTL: a stall of over a second on a loaded machine still
  // renews in time (at 1 s TTL and 600 ms it failed on a 400 ms stall).
  await withNodes('renew', 2000, async (a, b) => {
    assert.equal(await a.lock.tryAcquire(), true);
    for (let i = 0; i < 4; i++) {
      await sleep(700);
      assert.equal(await a.lock.renew(), true);
    }
    // 2.8 s after the acquire, well past one TTL: still a's.
    assert.equal(await b.lock.tryAcquire(), false);
    assert.equal(await b.lock.renew(), false, 'not b’s to renew');
    assert.equal((await b.lock.leader())?.nodeId, 'node-a');
  });
});

test('H4: validity is judged by the database clock, whatever a node’s own clock says', async (t) => {
  // The lock code reads no clock of its own.
  const source = await readFile(new URL('./postgresql.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /Date\.now|new Date|performance\.now/);
  await withNodes('clock', 1000, async (a, b) => {
    assert.equal(await a.lock.tryAcquire(), true);
    const realNow = Date.now;
    for (const offset of [60_000, 3_600_000, 365 * 86_400_000]) {
      t.mock.method(Date, 'now', () => realNow() + offset);
      assert.equal(await b.lock.tryAcquire(), false, `b's clock ${offset} ms ahead`);
      t.mock.restoreAll();
    }
    t.mock.method(Date, 'now', () => realNow() - 3_600_000);
    assert.equal(
      await a.lock.renew(),
      true,
      "a's clock an hour behind: its renewal is still judged by the database",
    );
    t.mock.restoreAll();
    await sleep(1200);
    t.mock.method(Date, 'now', () => realNow() - 3_600_000);
    assert.equal(await a.lock.renew(), false, "a's clock behind does not keep a lapsed hold");
    assert.equal(await b.lock.tryAcquire(), true);
    t.mock.restoreAll();
  });
});

test('H3 (a): after a takeover the old holder’s writes are fenced, and nothing of them is stored', async () => {
  await withNodes('takeover', 1000, async (a, b, { table }, admin) => {
    await a.backend.put('before', value('unfenced, no lock yet'));
    assert.equal(await a.lock.tryAcquire(), true);
    await a.backend.put('kept', value('a holds the lock'));
    await sleep(1200);
    assert.equal(await b.lock.tryAcquire(), true);
    const writes = await Promise.allSettled([
      a.backend.put('lost/1', value('x')),
      a.backend.delete('kept'),
      a.backend.transaction([
        { op: 'put', key: 'lost/2', value: value('y') },
        { op: 'delete', key: 'before' },
      ]),
    ]);
    for (const write of writes)
      assert.ok(write.status === 'rejected' && isFenced(write.reason), 'each write rejects fenced');
    await assert.rejects(a.backend.put('lost/3', value('z')), FencedWriteError);
    assert.deepEqual(await b.backend.list('lost/'), []);
    assert.equal(Buffer.from((await b.backend.get('kept'))!).toString(), 'a holds the lock');
    assert.ok(await b.backend.get('before'), 'the write made before the lock stays');
    // Each row records its writer: none before the lock, node-a while it held it, node-b after.
    await b.backend.put('after', value('b holds it'));
    const rows = await admin.query(
      `SELECT convert_from(name, 'UTF8') AS name, writer FROM "${table}" ORDER BY name`,
    );
    assert.deepEqual(rows.rows, [
      { name: 'after', writer: 'node-b' },
      { name: 'before', writer: null },
      { name: 'kept', writer: 'node-a' },
    ]);
    // A failed renew does not lift the fence: the node's writes keep failing until it steps down.
    assert.equal(await a.lock.renew(), false);
    await assert.rejects(a.backend.put('lost/4', value('w')), FencedWriteError);
  });
});

test('H3 (b): the lock rows deleted from under 10 concurrent writers: every later write is fenced, none committed', async () => {
  await withNodes('deleted', 15_000, async (a, _b, { table, haTable }, admin) => {
    assert.equal(await a.lock.tryAcquire(), true);
    let deletedAt = 0; // the number of writes begun when the delete had returned
    let begun = 0;
    const outcomes: { key: string; begun: number; ok: boolean; fenced: boolean }[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 40; i++) {
        const key = `w/${w}/${i}`;
        const order = begun++;
        const ok = await a.backend.put(key, value(key)).then(
          () => true,
          (error: unknown) => {
            assert.ok(isFenced(error), String(error));
            return false;
          },
        );
        outcomes.push({ key, begun: order, ok, fenced: !ok });
      }
    };
    const writers = Promise.all(Array.from({ length: 10 }, (_, w) => writer(w)));
    while (begun < 100) await sleep(1);
    await admin.query(`DELETE FROM "${haTable}"`);
    deletedAt = begun;
    await writers;
    const after = outcomes.filter((outcome) => outcome.begun >= deletedAt);
    assert.ok(
      after.length > 0 && after.every((outcome) => outcome.fenced),
      'every write begun after the delete is fenced',
    );
    assert.ok(
      outcomes.some((outcome) => outcome.ok),
      'writes before the delete committed',
    );
    const stored = await admin.query(
      `SELECT convert_from(name, 'UTF8') AS name, convert_from(parent, 'UTF8') AS parent, writer FROM "${table}"`,
    );
    const storedKeys = new Set(stored.rows.map((row) => `${row.parent}${row.name}`));
    for (const outcome of outcomes) assert.equal(storedKeys.has(outcome.key), outcome.ok, outcome.key);
    assert.ok(
      stored.rows.every((row) => row.writer === 'node-a'),
      'every row written by the holder',
    );
  });
});

test('H3 (c): a write holding the fence makes a takeover wait until it has committed', async () => {
  await withNodes('inflight', 1000, async (a, b, { table }, admin) => {
    assert.equal(await a.lock.tryAcquire(), true);
    await a.backend.put('row', value('first'));
    // Hold the data row, so a's next write waits inside its statement with the HA row held FOR SHARE.
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM "${table}" FOR UPDATE`);
    const order: string[] = [];
    const write = a.backend.put('row', value('second')).then(
      () => order.push('write committed'),
      (error: unknown) => order.push(`write failed: ${String(error)}`),
    );
    await waitingFor(admin, table, 1);
    await sleep(1200); // a's hold lapses while its write waits
    const takeover = b.lock.tryAcquire().then((won) => order.push(`takeover ${won}`));
    await waitingFor(admin, 'EXCLUDED.ha_identity', 1); // the takeover waits for a's write
    assert.deepEqual(order, []);
    await admin.query('COMMIT');
    await Promise.all([write, takeover]);
    assert.deepEqual(order, ['write committed', 'takeover true']);
    assert.equal(Buffer.from((await b.backend.get('row'))!).toString(), 'second');
    await assert.rejects(a.backend.put('row', value('third')), FencedWriteError);
  });
});

test('H3 (c): a write that had not reached the fence when the lock was taken over is fenced', async () => {
  await withNodes('queued', 1000, async (a, b, { table }, admin) => {
    assert.equal(await a.lock.tryAcquire(), true);
    await a.backend.put('row', value('first'));
    // The whole table locked: a's write waits before its statement has looked at the HA row.
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
    const write = a.backend.put('row', value('second')).then(
      () => 'committed',
      (error: unknown) => error,
    );
    await waitingFor(admin, table, 1);
    await sleep(1200);
    assert.equal(await b.lock.tryAcquire(), true, 'the takeover does not wait for a write not yet fenced');
    await admin.query('COMMIT');
    const outcome = await write;
    assert.ok(outcome instanceof FencedWriteError, `the write was fenced, not ${String(outcome)}`);
    assert.equal(Buffer.from((await b.backend.get('row'))!).toString(), 'first');
  });
});

test('one statement per flush, fenced or not: no extra round trip', async () => {
  await withNodes('trips', 15_000, async (a) => {
    const plain = await PostgresqlBackend.open({
      connectionUrl: url,
      table: `coffer_hat_${process.pid}_${Date.now()}`,
    });
    try {
      for (const [backend, fenced] of [
        [plain, false],
        [a.backend, true],
      ] as const) {
        if (fenced) assert.equal(await a.lock.tryAcquire(), true);
        const pool = (backend as unknown as { pool: pg.Pool }).pool;
        const texts: string[] = [];
        const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
        (pool as unknown as { query: unknown }).query = (config: pg.QueryConfig) => {
          texts.push(config.text);
          return query(config);
        };
        await Promise.all([
          backend.put('t/1', value('1')),
          backend.transaction([
            { op: 'put', key: 't/2', value: value('2') },
            { op: 'delete', key: 't/1' },
          ]),
        ]);
        assert.equal(texts.length, 1, 'one statement');
        assert.equal(/FOR SHARE/.test(texts[0]), fenced);
        assert.equal(/writer/.test(texts[0]), fenced, 'the plain backend sends the statement it always did');
      }
    } finally {
      await plain.drop();
      await plain.close();
    }
  });
});

storageConformance(
  'postgresql with ha_enabled, holding the lock (every write fenced)',
  async () => {
    const suffix = `${process.pid}_${Date.now()}`;
    const backend = await PostgresqlBackend.open({
      connectionUrl: url,
      table: `coffer_hac_${suffix}`,
      haEnabled: true,
      haTable: `coffer_hacl_${suffix}`,
    });
    const lock = backend.haLock({ nodeId: 'node-c', apiAddr: 'https://c.example:8200', ttlMs: 600_000 });
    assert.equal(await lock.tryAcquire(), true);
    return backend;
  },
  (backend) => (backend as PostgresqlBackend).drop(),
);
