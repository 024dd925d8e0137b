/**
 * G5: storage outage and full disk. PostgreSQL storage cut off (a fault proxy refusing) under a light
 * load: 5xx meanwhile, no crash, recovery without unsealing again, no lease revoked early, data intact.
 * The embedded store under `prlimit --fsize`: writes that cannot be stored get 5xx, reads keep working,
 * and nothing acknowledged is lost after a restart without the limit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { eventually } from './helpers/eventually.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import {
  type ApiResult,
  removeServerDir,
  restartOnSameStorage,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
const ADMIN_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG = new URL(ADMIN_URL);
const PG_PORT = Number(PG.port || 5432);

/** A request that gives up after `ms` (a hang is a finding, not a stuck test): status 0. */
async function timed(promise: Promise<ApiResult>, ms: number): Promise<ApiResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ApiResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 0, body: undefined, text: 'timed out', headers: new Headers() }),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the server printed that a crash or a swallowed promise would leave behind. */
function assertNoCrashTrace(server: TestServer): void {
  assert.equal(server.process.exitCode, null, `server exited:\n${server.output()}`);
  assert.equal(server.process.signalCode, null, `server killed:\n${server.output()}`);
  assert.doesNotMatch(server.output(), /unhandled|uncaught|ERR_UNHANDLED_REJECTION/i, server.output());
}

async function withDatabase(
  work: (url: (port: number) => string, admin: pg.Client) => Promise<void>,
): Promise<void> {
  const name = `coffer_g5_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  try {
    await work((port) => {
      // Through the fault proxy, which listens on the loopback.
      const url = new URL(ADMIN_URL);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      url.pathname = `/${name}`;
      return url.toString();
    }, admin);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

test('postgresql storage cut off under load: 5xx, no crash, recovery, leases kept, data intact', async () => {
  await withDatabase(async (url, admin) => {
    const proxy = await new FaultProxy(PG_PORT, PG.hostname).start();
    // Trust auth ignores the password; it is here to show that the URL never reaches the output.
    const canary = `pw${randomBytes(12).toString('hex')}`;
    const connection = new URL(url(proxy.port));
    connection.password = canary;
    const server = await startTestServer({
      storage: 'postgresql',
      storageOptions: { connection_url: connection.toString() },
    });
    const made: string[] = [];
    try {
      const root = server.rootToken;
      const ok = async (method: string, path: string, body?: unknown, token = root) => {
        const res = await server.api(method, path, body, token);
        assert.ok(res.status === 200 || res.status === 204, `${method} ${path}: ${res.status} ${res.text}`);
        return res;
      };
      await ok('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } });
      await ok('POST', 'sys/auth/userpass', { type: 'userpass' });
      await ok('POST', 'auth/userpass/users/alice', { password: 'alice-pass', token_ttl: '1h' });
      const before = Array.from({ length: 20 }, (_, i) => `v${i}-${randomBytes(6).toString('hex')}`);
      for (const [i, value] of before.entries()) await ok('POST', `kv/data/before/${i}`, { data: { value } });

      // Leases that outlive the test by far: none may be revoked because storage was away.
      const long = [];
      for (let i = 0; i < 3; i++)
        long.push((await ok('POST', 'auth/token/create', { ttl: '1h', policies: ['default'] })).body.auth);
      long.push((await ok('POST', 'auth/userpass/login/alice', { password: 'alice-pass' })).body.auth);
      // Due in the middle of the outage: it must not come back to life afterwards.
      const short = (await ok('POST', 'auth/token/create', { ttl: '6s', policies: ['default'] })).body.auth;
      // Real leases, on the cluster itself (not through the proxy): a user for 1 h that must survive,
      // one for 6 s whose revocation falls in the outage and must happen after it.
      await ok('POST', 'sys/mounts/database', { type: 'database' });
      await ok('POST', 'database/config/pg', {
        plugin_name: 'postgresql-database-plugin',
        connection_url: `postgresql://{{username}}:{{password}}@${PG.host}/postgres`,
        username: decodeURIComponent(PG.username),
        password: decodeURIComponent(PG.password) || 'unused-under-trust',
        allowed_roles: ['long', 'short'],
      });
      for (const [role, ttl] of [
        ['long', '1h'],
        ['short', '6s'],
      ])
        await ok('POST', `database/roles/${role}`, {
          db_name: 'pg',
          creation_statements: [CREATE],
          default_ttl: ttl,
        });
      const longCreds = (await ok('GET', 'database/creds/long')).body;
      const shortCreds = (await ok('GET', 'database/creds/short')).body;
      made.push(longCreds.data.username, shortCreds.data.username);
      const roleExists = async (name: string) =>
        ((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount ?? 0) > 0;
      assert.ok(await roleExists(longCreds.data.username));

      // A light steady load: KV writes (each to its own key) and reads, token lookups.
      const acknowledged = new Map<string, string>();
      const attempted = new Map<string, string>();
      const seen: { phase: string; status: number; what: string }[] = [];
      let phase = 'before';
      let running = true;
      let n = 0;
      const load = (async () => {
        while (running) {
          const i = n++;
          const value = `w${i}`;
          attempted.set(`load/${i}`, value);
          const calls: [string, Promise<ApiResult>][] = [
            ['write', server.api('POST', `kv/data/load/${i}`, { data: { value } }, root)],
            ['read', server.api('GET', `kv/data/before/${i % before.length}`, undefined, root)],
            [
              'lookup',
              server.api('GET', 'auth/token/lookup-self', undefined, long[i % long.length].client_token),
            ],
          ];
          const at = phase;
          const results = await Promise.all(calls.map(([, call]) => timed(call, 30_000)));
          for (const [k, res] of results.entries()) {
            seen.push({ phase: at === phase ? at : 'transition', status: res.status, what: calls[k][0] });
            if (calls[k][0] === 'write' && res.status === 200) acknowledged.set(`load/${i}`, value);
            if (calls[k][0] === 'read' && res.status === 200)
              assert.equal(res.body.data.data.value, before[i % before.length]);
          }
          await sleep(100);
        }
      })();

      await sleep(1500);
      phase = 'outage';
      proxy.setMode('refuse');
      await sleep(15_000);
      phase = 'after';
      proxy.setMode('pass');
      // Recovery without a restart or an unseal: a write goes through again.
      await eventually(
        async () =>
          (await server.api('POST', 'kv/data/probe', { data: { value: 'x' } }, root)).status === 200,
        30_000,
        'a write after the outage',
      );
      await sleep(2000);
      running = false;
      await load;

      assertNoCrashTrace(server);
      const outage = seen.filter((s) => s.phase === 'outage');
      assert.ok(outage.length >= 10, `too little load during the outage: ${outage.length}`);
      // During the fault: answers from memory or 5xx, never a 4xx (a lost key read as 404, a token
      // that could not be read taken as 403) and never a hang.
      for (const s of outage)
        assert.ok(s.status === 200 || s.status >= 500, `${s.what} during the outage: ${s.status}`);
      assert.ok(
        outage.some((s) => s.what === 'write' && s.status >= 500),
        'no write failed during the outage',
      );
      for (const s of seen.filter((s) => s.phase === 'before'))
        assert.equal(s.status, 200, `${s.what} before the outage`);
      const lastAfter = seen.filter((s) => s.phase === 'after').slice(-6);
      for (const s of lastAfter) assert.equal(s.status, 200, `${s.what} after recovery`);
      assert.equal((await server.api('GET', 'sys/seal-status')).body.sealed, false);

      // Data intact: what was there before, and every acknowledged write; an unacknowledged one is
      // either absent or whole.
      for (const [i, value] of before.entries())
        assert.equal((await ok('GET', `kv/data/before/${i}`)).body.data.data.value, value);
      for (const [key, value] of attempted) {
        const res = await server.api('GET', `kv/data/${key}`, undefined, root);
        if (acknowledged.has(key)) assert.equal(res.body?.data?.data?.value, value, `${key} acknowledged`);
        else assert.ok(res.status === 404 || res.body?.data?.data?.value === value, `${key}: ${res.status}`);
      }

      // No lease revoked early: each long-lived token still works, and its lease is still there.
      for (const auth of long) {
        const res = await server.api('GET', 'auth/token/lookup-self', undefined, auth.client_token);
        assert.equal(res.status, 200, `a long-lived token after the outage: ${res.text}`);
        assert.ok(res.body.data.ttl > 3000);
      }
      const lease = await ok('PUT', 'sys/leases/lookup', { lease_id: longCreds.lease_id });
      assert.ok(lease.body.data.ttl > 3000, lease.text);
      assert.ok(await roleExists(longCreds.data.username), 'the 1 h database user was dropped');
      // The 6 s one expired during the outage: revoked once storage is back.
      await eventually(
        async () => !(await roleExists(shortCreds.data.username)),
        60_000,
        'the 6 s user dropped',
      );
      // The short token expired during the outage and stays dead.
      await eventually(
        async () =>
          (await server.api('GET', 'auth/token/lookup-self', undefined, short.client_token)).status === 403,
        30_000,
        'the expired token refused',
      );
      assertNoCrashTrace(server);
      assert.equal(server.output().includes(canary), false, 'the connection password is in the output');
    } finally {
      await server.stop();
      await removeServerDir(server);
      await proxy.close();
      for (const name of made) await admin.query(`DROP ROLE IF EXISTS "${name}"`);
    }
  });
});

interface FullDiskRun {
  /** Values whose write was acknowledged, by KV path (those written before the limit too). */
  acknowledged: Map<string, string>;
  /** Statuses of the writes made under the limit, in order. */
  statuses: number[];
  /** The answer to a write made once the limit was lifted, without a restart. */
  lateWrite: number;
  /** The size limit, and how large the database file and the WAL were when it was lifted. */
  limit: number;
  files: { db: number; wal: number };
}

/**
 * Writes up to `count` KV values of `valueBytes` (8 at a time, until 20 have failed) on an embedded store limited to its file's
 * size plus `room`, after `prefill` 32 KiB values written without the limit (a large database file, so
 * that a checkpoint is what crosses the limit). Reads of the earlier data must keep working under the
 * limit; after a restart without it every acknowledged write must be there.
 */
async function fillUnderLimit(
  room: number,
  valueBytes: number,
  count: number,
  prefill: number,
): Promise<FullDiskRun> {
  // audit: false: the restarted server's file size limit would hit an audit log too.
  const first = await startTestServer({ storage: 'sqlite', audit: false });
  const root = first.rootToken;
  const acknowledged = new Map<string, string>();
  let server = first;
  try {
    await first.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, root);
    const fill = randomBytes(24 << 10).toString('base64');
    await inParallel(prefill, async (i) => {
      const value = `${i}-${fill}`;
      assert.equal((await first.api('POST', `kv/data/before/${i}`, { data: { value } }, root)).status, 200);
      acknowledged.set(`before/${i}`, value);
    });
    for (let i = 0; i < 5; i++) {
      const value = `small-${i}`;
      assert.equal((await first.api('POST', `kv/data/small/${i}`, { data: { value } }, root)).status, 200);
      acknowledged.set(`small/${i}`, value);
    }
    await first.stop();
    const earlier = new Map(acknowledged);
    const size = (await stat(join(first.dir, 'coffer.db'))).size;
    const limit = size + room;
    server = await restartOnSameStorage(first, { fileSizeLimit: limit });
    await server.unseal();
    const limited = server;
    const body = randomBytes(Math.ceil((valueBytes * 3) / 4)).toString('base64');
    const statuses: number[] = [];
    let failed = 0;
    await inParallel(count, async (i) => {
      if (failed >= 20) return; // enough: the limit is reached
      const value = `${i}-${body}`;
      const res = await timed(limited.api('POST', `kv/data/full/${i}`, { data: { value } }, root), 30_000);
      statuses[i] = res.status;
      if (res.status === 200) acknowledged.set(`full/${i}`, value);
      else {
        failed++;
        assert.ok(res.status >= 500, `a write that could not be stored: ${res.status} ${res.text}`);
        assert.deepEqual(res.body?.errors, ['internal error'], 'internal detail in the answer');
      }
    });
    assert.ok(
      statuses.some((status) => status >= 500),
      'the file size limit was never reached',
    );
    assertNoCrashTrace(limited);
    const dbFile = join(first.dir, 'coffer.db');
    const files = { db: (await stat(dbFile)).size, wal: (await stat(`${dbFile}-wal`)).size };
    // Space comes back (the limit is lifted) without a restart.
    execFileSync('prlimit', ['--pid', String(limited.process.pid), '--fsize=unlimited']);
    const lateWrite = (await limited.api('POST', 'kv/data/late', { data: { value: 'late' } }, root)).status;
    if (lateWrite === 200) acknowledged.set('late', 'late');
    // Reads of what was there before keep working, the token too.
    for (const [key, value] of earlier) {
      const res = await limited.api('GET', `kv/data/${key}`, undefined, root);
      assert.equal(res.status, 200, `${key} under the limit: ${res.text}`);
      assert.equal(res.body.data.data.value, value);
    }
    assert.equal((await limited.api('GET', 'auth/token/lookup-self', undefined, root)).status, 200);
    await limited.stop();

    server = await restartOnSameStorage(first);
    await server.unseal();
    for (const [key, value] of acknowledged) {
      const res = await server.api('GET', `kv/data/${key}`, undefined, root);
      assert.equal(res.status, 200, `${key} after the restart: ${res.text}`);
      assert.equal(res.body.data.data.value, value, key);
    }
    // Without the limit the store takes writes again.
    assert.equal((await server.api('POST', 'kv/data/after', { data: { value: 'x' } }, root)).status, 200);
    return { acknowledged, statuses, lateWrite, limit, files };
  } finally {
    await server.stop();
    await removeServerDir(first);
  }
}

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

test('full disk on a write: that write gets a 500, the store stays open, nothing acknowledged is lost', async () => {
  // 256 KiB of room and 8 KiB values: the WAL's append hits EFBIG within a few dozen writes. SQLite
  // rolls that transaction back and nothing of it was acknowledged (nor dropped from the page cache,
  // as after a failed fsync), so the store stays open: once space is back, writes go through again.
  const run = await fillUnderLimit(256 << 10, 8 << 10, 80, 0);
  assert.ok(run.files.db < run.limit, 'the database file reached the limit first');
  assert.equal(run.lateWrite, 200, 'a write once space is back, without a restart');
});

test('full disk on a checkpoint: writes fail only once the WAL is full too, and go on once space is back', async () => {
  // A 21 MB database file and 256 KiB of room: the WAL has room for a whole checkpoint interval
  // (2,000 ops of small writes), so what first crosses the limit is the checkpoint's copy into the
  // database file. The WAL keeps every commit (SQLite starts it over only after a complete copy), so
  // writes go on until the WAL reaches the limit as well; once space is back they work again without a
  // restart, and after one nothing acknowledged is missing.
  const run = await fillUnderLimit(256 << 10, 200, 3000, 650);
  assert.ok(
    run.files.db > run.limit - (64 << 10),
    `no checkpoint reached the limit: ${JSON.stringify(run.files)}`,
  );
  assert.ok(
    run.statuses.filter((status) => status === 200).length >= 1200,
    'too few writes before the limit',
  );
  assert.equal(run.lateWrite, 200, 'a write once space is back, without a restart');
});
