import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { storageConformance } from './conformance.js';
import { POSTGRESQL_MAX_KEY_BYTES, PostgresqlBackend } from './postgresql.js';

const url = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A backend on a table of its own for `fn`, dropped afterwards whatever `fn` did. */
async function withTable(
  name: string,
  fn: (backend: PostgresqlBackend, table: string) => Promise<void>,
): Promise<void> {
  const table = `coffer_${name}_${process.pid}_${Date.now()}`;
  const backend = await PostgresqlBackend.open({ connectionUrl: url, table });
  try {
    await fn(backend, table);
  } finally {
    await backend.drop();
    await backend.close();
  }
}

storageConformance(
  'postgresql',
  () =>
    PostgresqlBackend.open({ connectionUrl: url, table: `coffer_conformance_${process.pid}_${Date.now()}` }),
  (backend) => (backend as PostgresqlBackend).drop(),
);

test('a connection killed in the middle of a transaction fails that write, not the process', async () => {
  const table = `coffer_killed_${process.pid}_${Date.now()}`;
  const backend = await PostgresqlBackend.open({ connectionUrl: url, table });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Hold the table so the write waits inside its transaction, on a checked-out connection.
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
    const outcome = backend
      .transaction([
        { op: 'put', key: 'a', value: Buffer.from('1') },
        { op: 'put', key: 'b', value: Buffer.from('2') },
      ])
      .then(
        () => 'committed',
        (error: unknown) => error,
      );
    // pg_stat_activity is snapshotted once per transaction and admin is inside one: without
    // clearing the snapshot, a poll that first looked before the write arrived would never see it.
    const waiting = async () => {
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const found = await admin.query(
        `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
        [`%${table}%`],
      );
      return found.rows as { pid: number }[];
    };
    let pids = await waiting();
    for (let i = 0; pids.length === 0 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      pids = await waiting();
    }
    assert.equal(pids.length, 1, 'the write is waiting for the lock');
    await admin.query('SELECT pg_terminate_backend($1)', [pids[0].pid]);
    await admin.query('COMMIT');
    assert.ok((await outcome) instanceof Error, 'the write failed');
    assert.equal(await backend.get('a'), undefined, 'nothing of the killed transaction committed');
    await backend.put('c', Buffer.from('3'));
    assert.equal(
      Buffer.from((await backend.get('c'))!).toString(),
      '3',
      'the next write uses a new connection',
    );
  } finally {
    await admin.end();
    await backend.drop();
    await backend.close();
  }
});

test('transactions asked for together share a statement, and one PostgreSQL refuses fails alone', async () => {
  await withTable('batch', async (backend, table) => {
    // PostgreSQL refuses one key's row (as a constraint or a permission might): a trigger of this table's.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE FUNCTION "${table}_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = 'refused'::bytea THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
      await admin.query(
        `CREATE TRIGGER refuse BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_refuse"()`,
      );
      const outcomes = await Promise.allSettled([
        backend.put('batch/a', Buffer.from('a')),
        backend.transaction([
          { op: 'put', key: 'batch/d', value: Buffer.from('d') },
          { op: 'put', key: 'other/refused', value: Buffer.from('refused') },
        ]),
        backend.transaction([
          { op: 'put', key: 'batch/b', value: Buffer.from('b') },
          { op: 'put', key: 'batch/c', value: Buffer.from('c') },
        ]),
      ]);
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(await backend.list('batch/'), ['a', 'b', 'c'], 'nothing of the refused transaction');
      assert.equal(await backend.get('other/refused'), undefined);
    } finally {
      await admin.query(`DROP FUNCTION "${table}_refuse"() CASCADE`);
      await admin.end();
    }
  });
});

test('keys up to the b-tree row limit are stored; a longer one is refused before anything is sent', async () => {
  await withTable('longkey', async (backend) => {
    // Base64 of random bytes: nothing for PostgreSQL to compress, so the entry is as large as it gets.
    const text = randomBytes(POSTGRESQL_MAX_KEY_BYTES).toString('base64').replace(/\//g, '_');
    const longest = (parentBytes: number) =>
      `${text.slice(0, parentBytes)}/${text.slice(parentBytes)}`.slice(0, POSTGRESQL_MAX_KEY_BYTES);
    for (const parentBytes of [1, 2, 3, 4, 1339, 2676]) {
      await backend.put(longest(parentBytes), Buffer.from(String(parentBytes)));
      assert.equal(Buffer.from((await backend.get(longest(parentBytes)))!).toString(), String(parentBytes));
    }
    const tooLong = `${longest(7)}x`;
    await assert.rejects(
      backend.transaction([
        { op: 'put', key: 'fine', value: Buffer.from('1') },
        { op: 'put', key: tooLong, value: Buffer.from('2') },
      ]),
      (error: Error & { code?: string }) =>
        error.code === 'invalid_request' &&
        error.message === `storage key is longer than ${POSTGRESQL_MAX_KEY_BYTES} bytes`,
    );
    assert.equal(await backend.get('fine'), undefined, 'no part of the refused transaction');
    await assert.rejects(backend.get(tooLong), /longer than/);
  });
});

test('more than one statement can hold: 3,000 keys asked for at once all land, each transaction whole', async () => {
  await withTable('split', async (backend) => {
    // 30 transactions of 100 puts: over one statement's 2,000 operations, so the turn's writes split.
    await Promise.all(
      Array.from({ length: 30 }, (_, t) =>
        backend.transaction(
          Array.from({ length: 100 }, (_, i) => ({
            op: 'put' as const,
            key: `split/${t}/${i}`,
            value: Buffer.from(`${t}:${i}`),
          })),
        ),
      ),
    );
    const folders = await backend.list('split/');
    assert.equal(folders.length, 30);
    for (const folder of ['0/', '14/', '29/'])
      assert.equal((await backend.list(`split/${folder}`)).length, 100);
    assert.equal(Buffer.from((await backend.get('split/29/99'))!).toString(), '29:99');
  });
});

test('reads asked for together share a query: each key answers its own value, or nothing, in its own copy', async () => {
  await withTable('reads', async (backend) => {
    await backend.transaction(
      Array.from({ length: 50 }, (_, i) => ({
        op: 'put' as const,
        key: `r/${i % 5}/k${i}`,
        value: Buffer.from(`v${i}`),
      })),
    );
    const keys = [...Array.from({ length: 50 }, (_, i) => `r/${i % 5}/k${i}`), 'r/0/missing', 'r/1/k1'];
    const values = await Promise.all(keys.map((key) => backend.get(key)));
    const texts = values.map((value) => (value ? Buffer.from(value).toString() : undefined));
    assert.deepEqual(texts, [...Array.from({ length: 50 }, (_, i) => `v${i}`), undefined, 'v1']);
    assert.notEqual(values[1], values[51], 'a key asked for twice: two copies');
    values[1]![0] = 0;
    assert.equal(Buffer.from(values[51]!).toString(), 'v1');
    // A read asked for after a write has been acknowledged sees it.
    await backend.put('r/1/k1', Buffer.from('changed'));
    assert.equal(Buffer.from((await backend.get('r/1/k1'))!).toString(), 'changed');
  });
});
