/**
 * The database engine through its declarations, against a real PostgreSQL cluster that demands
 * scram passwords (so "the password works" and "the old one does not" are real logins).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ScramCluster, startScramCluster } from '../../../test/helpers/scram-postgres.js';
import { CofferError } from '../../core/errors.js';
import { FakeClock } from '../../framework/clock.js';
import type { Engine } from '../../framework/engine.js';
import type { Operation } from '../../framework/logical.js';
import type { EngineContext } from '../../framework/path.js';
import { mountForTest, type TestMount } from '../../framework/testing.js';
import { createDatabaseEngine } from './index.js';
import type { DatabasePlugin, PluginFactory } from './plugin.js';
import { databasePlugins } from './plugins/index.js';
import { POSTGRES_PLUGIN_NAME } from './plugins/postgresql.js';
import type { StaticRole } from './store.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
const root = { displayName: 'root', policies: ['root'] };

/** Runs a request and turns a thrown CofferError into its status, as http/ would. */
async function call(
  mount: Pick<TestMount, 'request'>,
  op: Operation,
  path: string,
  data: Record<string, unknown> = {},
) {
  try {
    const response = await mount.request(op, path, data, root);
    return { status: response?.httpStatus ?? (response ? 200 : 204), response, error: '' };
  } catch (error) {
    if (!(error instanceof CofferError)) throw error;
    return { status: error.status, response: undefined, error: error.message };
  }
}

/** A second engine instance on the same storage: what a restarted server sees. */
async function remount(engine: Engine, ctx: EngineContext): Promise<Pick<TestMount, 'request'>> {
  await engine.initialize?.(ctx);
  return {
    async request(operation, path, data = {}, caller) {
      const req = { id: randomUUID(), operation, path, data, mountPoint: 'database/', caller };
      if (operation === 'update' && (await engine.exists(ctx, req)) === false) req.operation = 'create';
      return engine.handleRequest(ctx, req);
    },
  };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

describe('database engine on PostgreSQL (scram)', () => {
  let cluster: ScramCluster;
  let admin: { username: string; password: string };
  const opened: { engine: Engine; ctx: EngineContext }[] = [];

  before(async () => {
    cluster = await startScramCluster();
    admin = await cluster.createAdmin();
  });
  after(async () => {
    for (const { engine, ctx } of opened) await engine.cleanup?.(ctx);
    await cluster.stop();
  });

  const connection = (extra: Record<string, unknown> = {}) => ({
    plugin_name: POSTGRES_PLUGIN_NAME,
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${cluster.port}/postgres`,
    username: admin.username,
    password: admin.password,
    allowed_roles: ['app*', 'halfway', 'static*'],
    ...extra,
  });

  async function mount(plugins?: ReadonlyMap<string, PluginFactory>) {
    const engine = createDatabaseEngine(plugins);
    const m = await mountForTest(engine, { clock: new FakeClock(Date.now()) });
    opened.push({ engine, ctx: m.ctx });
    return { engine, m };
  }

  async function mountWithConnection(plugins?: ReadonlyMap<string, PluginFactory>) {
    const mounted = await mount(plugins);
    const written = await call(mounted.m, 'update', 'config/pg', connection());
    assert.equal(written.status, 204, written.error);
    return mounted;
  }

  async function staticUser(prefix = 'static_user') {
    const username = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
    const password = `Init1al-${Math.random().toString(36).slice(2)}`;
    await cluster.query(`CREATE ROLE "${username}" LOGIN PASSWORD '${password}'`);
    return { username, password };
  }

  test('config: verified on write, read without the password, listed, deleted', async () => {
    const { m } = await mountWithConnection();
    const read = await call(m, 'read', 'config/pg');
    const data = read.response!.data as Record<string, Record<string, unknown>>;
    assert.equal(data.plugin_name as unknown, POSTGRES_PLUGIN_NAME);
    assert.equal(data.connection_details.username, admin.username);
    assert.equal(data.connection_details.password, undefined);
    assert.equal(data.connection_details.max_open_connections, 4);
    assert.deepEqual(data.allowed_roles as unknown, ['app*', 'halfway', 'static*']);
    assert.ok(!JSON.stringify(data).includes(admin.password));
    assert.deepEqual((await call(m, 'list', 'config/')).response?.data?.keys, ['pg']);
    assert.equal((await call(m, 'delete', 'config/pg')).status, 204);
    assert.equal((await call(m, 'read', 'config/pg')).response, undefined);
  });

  const configCases = [
    { name: 'an unknown plugin is refused', body: { plugin_name: 'nosuch-database-plugin' }, status: 400 },
    { name: 'a missing plugin name is refused', body: { plugin_name: undefined }, status: 400 },
    { name: 'a wrong root password is refused', body: { password: 'Wrong-password-123' }, status: 400 },
    { name: 'password_policy is refused clearly', body: { password_policy: 'strict' }, status: 400 },
    {
      name: 'a broken username template is refused',
      body: { username_template: '{{ nosuch 3 }}' },
      status: 400,
    },
    { name: 'an empty connection_url is refused', body: { connection_url: '' }, status: 400 },
    {
      name: 'verify_connection=false skips the check',
      body: { password: 'Wrong-1', verify_connection: false },
      status: 204,
    },
  ];
  for (const c of configCases) {
    test(`config: ${c.name}`, async () => {
      const { m } = await mount();
      const result = await call(m, 'update', 'config/pg', { ...connection(), ...c.body });
      assert.equal(result.status, c.status, result.error);
      assert.ok(!result.error.includes(admin.password), 'no secret in the error');
    });
  }

  test('config: a literal password in connection_url is redacted on read and warned about', async () => {
    const { m } = await mount();
    const url = `postgresql://${admin.username}:${admin.password}@127.0.0.1:${cluster.port}/postgres`;
    const written = await call(m, 'update', 'config/lit', {
      plugin_name: POSTGRES_PLUGIN_NAME,
      connection_url: url,
    });
    assert.equal(written.status, 200, written.error);
    assert.match(String(written.response?.warnings), /Password found in connection_url/);
    const read = await call(m, 'read', 'config/lit');
    assert.ok(!JSON.stringify(read.response).includes(admin.password));
    assert.match(
      String((read.response!.data!.connection_details as Record<string, unknown>).connection_url),
      /:xxxxx@/,
    );
  });

  test('creds: Vault-shaped username, a working password, TTLs from the role', async () => {
    const { m } = await mountWithConnection();
    const role = await call(m, 'update', 'roles/app', {
      db_name: 'pg',
      creation_statements: CREATE,
      default_ttl: '1h',
      max_ttl: '2h',
    });
    assert.equal(role.status, 204, role.error);
    const creds = await call(m, 'read', 'creds/app');
    assert.equal(creds.status, 200, creds.error);
    const { username, password } = creds.response!.data as { username: string; password: string };
    assert.match(username, /^v-root-app-[A-Za-z0-9]{20}-\d{10}$/);
    assert.ok(username.length <= 63);
    assert.match(password, /^[A-Za-z0-9-]{20}$/);
    assert.equal(creds.response?.secret?.ttlSeconds, 3600);
    assert.equal(creds.response?.secret?.maxTtlSeconds, 7200);
    assert.equal(creds.response?.secret?.renewable, true);
    assert.deepEqual(
      { ...creds.response?.secret?.internalData, revocation_statements: undefined },
      { username, role: 'app', db_name: 'pg', revocation_statements: undefined },
    );
    assert.equal(await cluster.canLogin(username, password), true);
    assert.equal(await cluster.canLogin(username, 'Wrong-password-123'), false);
  });

  test('creds: a role outside allowed_roles gets 403; an unknown role 400', async () => {
    const { m } = await mountWithConnection();
    await call(m, 'update', 'roles/other', { db_name: 'pg', creation_statements: CREATE });
    assert.equal((await call(m, 'read', 'creds/other')).status, 403);
    assert.equal((await call(m, 'read', 'creds/nosuch')).status, 400);
  });

  test('static-roles: a role outside allowed_roles gets 403 and the account keeps its password', async () => {
    const { m } = await mountWithConnection();
    const user = await staticUser();
    const created = await call(m, 'update', 'static-roles/other', {
      db_name: 'pg',
      username: user.username,
      rotation_period: '1h',
    });
    assert.equal(created.status, 403, created.error);
    assert.equal(await cluster.canLogin(user.username, user.password), true);
    assert.equal((await call(m, 'read', 'static-roles/other')).status, 204);
  });

  test('lease revoke drops the user and ends its sessions; a second revoke succeeds', async () => {
    const { engine, m } = await mountWithConnection();
    await call(m, 'update', 'roles/app', {
      db_name: 'pg',
      creation_statements: [CREATE, 'GRANT pg_read_all_data TO "{{name}}";'],
    });
    const creds = (await call(m, 'read', 'creds/app')).response!;
    const { username, password } = creds.data as { username: string; password: string };
    const session = await cluster.connectAs(username, password);
    const lease = {
      leaseId: 'database/creds/app/x',
      internalData: creds.secret!.internalData!,
      issueTime: Date.now(),
      expireTime: Date.now() + 3600_000,
    };
    await engine.secrets![0].revoke(m.ctx, lease);
    assert.equal(await cluster.roleExists(username), false);
    assert.equal(await cluster.canLogin(username, password), false);
    await assert.rejects(session.query('SELECT 1'), 'the open session was terminated');
    await session.end().catch(() => undefined);
    await engine.secrets![0].revoke(m.ctx, lease); // idempotent
  });

  test('renew moves VALID UNTIL to now + increment', async () => {
    const { engine, m } = await mountWithConnection();
    await call(m, 'update', 'roles/app', {
      db_name: 'pg',
      creation_statements: CREATE,
      default_ttl: 60,
      max_ttl: 7200,
    });
    const creds = (await call(m, 'read', 'creds/app')).response!;
    const { username } = creds.data as { username: string };
    const validUntil = async () =>
      (
        await cluster.query<{ at: Date }>('SELECT rolvaliduntil AS at FROM pg_roles WHERE rolname = $1', [
          username,
        ])
      ).rows[0].at.getTime();
    const before = await validUntil();
    assert.ok(Math.abs(before - (Date.now() + 65_000)) < 5_000);
    const renewed = await engine.secrets![0].renew!(m.ctx, {
      leaseId: 'x',
      internalData: creds.secret!.internalData!,
      issueTime: Date.now(),
      expireTime: Date.now() + 60_000,
      increment: 3600,
    });
    assert.equal(renewed?.secret?.ttlSeconds, 3600);
    assert.ok(Math.abs((await validUntil()) - (Date.now() + 3605_000)) < 5_000);
  });

  test('creation failing half-way rolls back: rollback statements run and no user is left', async () => {
    const { m } = await mountWithConnection();
    await cluster.query('CREATE TABLE IF NOT EXISTS rollback_log (username text)');
    await call(m, 'update', 'roles/halfway', {
      db_name: 'pg',
      creation_statements: [CREATE, 'SELECT no_such_function();'],
      rollback_statements: [`INSERT INTO rollback_log VALUES ('{{name}}'); DROP ROLE IF EXISTS "{{name}}";`],
    });
    const result = await call(m, 'read', 'creds/halfway');
    assert.equal(result.status, 500);
    assert.match(result.error, /no_such_function/);
    const leftover = await cluster.query(`SELECT 1 FROM pg_roles WHERE rolname LIKE 'v-root-halfway-%'`);
    assert.equal(leftover.rowCount, 0);
    const logged = await cluster.query<{ username: string }>('SELECT username FROM rollback_log');
    assert.equal(logged.rowCount, 1);
    assert.match(logged.rows[0].username, /^v-root-halfway-/);
  });

  test('a display name with quotes cannot break out of the statement', async () => {
    const { m } = await mountWithConnection();
    await call(m, 'update', 'roles/app', { db_name: 'pg', creation_statements: CREATE });
    const creds = await m.request(
      'read',
      'creds/app',
      {},
      { displayName: `x"; DROP ROLE "${admin.username}"; --'` },
    );
    const { username, password } = creds!.data as { username: string; password: string };
    assert.ok(username.startsWith('v-x"; DROP-app-'), username);
    assert.equal(await cluster.canLogin(username, password), true);
    assert.equal(await cluster.roleExists(admin.username), true);
  });

  const roleCases = [
    { name: 'no db_name', body: { creation_statements: CREATE }, status: 400 },
    { name: 'no creation statements', body: { db_name: 'pg' }, status: 400 },
    {
      name: 'ttl above max_ttl',
      body: { db_name: 'pg', creation_statements: CREATE, default_ttl: 60, max_ttl: 30 },
      status: 400,
    },
    {
      name: 'an rsa credential type',
      body: { db_name: 'pg', creation_statements: CREATE, credential_type: 'rsa_private_key' },
      status: 400,
    },
    {
      name: 'a bad duration',
      body: { db_name: 'pg', creation_statements: CREATE, default_ttl: 'soon' },
      status: 400,
    },
    {
      name: 'a valid role',
      body: { db_name: 'pg', creation_statements: CREATE, default_ttl: '5m' },
      status: 204,
    },
  ];
  for (const c of roleCases) {
    test(`roles: ${c.name} → ${c.status}`, async () => {
      const { m } = await mount();
      assert.equal((await call(m, 'update', 'roles/r1', c.body)).status, c.status);
    });
  }

  test('roles: read shows Vault fields; list; a statement string with commas stays one statement', async () => {
    const { m } = await mount();
    const grant = 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "{{name}}";';
    await call(m, 'update', 'roles/r1', { db_name: 'pg', creation_statements: grant, default_ttl: '1h' });
    const read = await call(m, 'read', 'roles/r1');
    assert.deepEqual(read.response?.data, {
      db_name: 'pg',
      creation_statements: [grant],
      revocation_statements: [],
      rollback_statements: [],
      renew_statements: [],
      default_ttl: 3600,
      max_ttl: 0,
      credential_type: 'password',
    });
    assert.deepEqual((await call(m, 'list', 'roles/')).response?.data?.keys, ['r1']);
    assert.equal(
      (await call(m, 'update', 'static-roles/r1', { db_name: 'pg', username: 'x', rotation_period: 60 }))
        .status,
      400,
    );
  });

  const staticCases = [
    { name: 'both period and schedule', body: { rotation_period: 60, rotation_schedule: '0 * * * *' } },
    { name: 'neither period nor schedule', body: {} },
    { name: 'a period under 5s', body: { rotation_period: 3 } },
    { name: 'a six-field cron line', body: { rotation_schedule: '0 0 * * * *' } },
    { name: 'a cron line that does not parse', body: { rotation_schedule: 'every day' } },
    { name: 'no username', body: { rotation_period: 60, username: undefined } },
    { name: 'a user that does not exist', body: { rotation_period: 60, username: 'no_such_user' } },
  ];
  for (const c of staticCases) {
    test(`static-roles: ${c.name} → 400 and nothing stored`, async () => {
      const { m } = await mountWithConnection();
      const result = await call(m, 'update', 'static-roles/static1', {
        db_name: 'pg',
        username: 'u',
        ...c.body,
      });
      assert.ok(result.status === 400 || result.status === 500, `${result.status} ${result.error}`);
      assert.equal((await call(m, 'read', 'static-roles/static1')).response, undefined);
    });
  }

  test('static role: created with a fresh password; rotate-role replaces it (old fails, new works)', async () => {
    const { m } = await mountWithConnection();
    const user = await staticUser();
    const created = await call(m, 'update', 'static-roles/static1', {
      db_name: 'pg',
      username: user.username,
      rotation_period: '1h',
    });
    assert.equal(created.status, 204, created.error);
    assert.equal(
      await cluster.canLogin(user.username, user.password),
      false,
      'creation rotated the initial password',
    );
    const first = (await call(m, 'read', 'static-creds/static1')).response!.data as Record<string, unknown>;
    assert.equal(first.username, user.username);
    assert.equal(first.rotation_period, 3600);
    assert.ok(Number(first.ttl) > 3590 && Number(first.ttl) <= 3600);
    assert.equal(await cluster.canLogin(user.username, String(first.password)), true);
    assert.equal((await call(m, 'update', 'rotate-role/static1')).status, 204);
    const second = (await call(m, 'read', 'static-creds/static1')).response!.data as Record<string, unknown>;
    assert.notEqual(second.password, first.password);
    assert.equal(await cluster.canLogin(user.username, String(first.password)), false);
    assert.equal(await cluster.canLogin(user.username, String(second.password)), true);
    const read = (await call(m, 'read', 'static-roles/static1')).response!.data as Record<string, unknown>;
    assert.equal(read.username, user.username);
    assert.equal(read.password, undefined);
    assert.equal((await call(m, 'update', 'static-roles/static1', { username: 'someone_else' })).status, 400);
    assert.equal(
      (
        await call(m, 'update', 'static-roles/static2', {
          db_name: 'pg',
          username: user.username,
          rotation_period: 60,
        })
      ).status,
      400,
    );
  });

  test('static role: 20 rotations while a client reconnects with re-read credentials', async () => {
    const { m } = await mountWithConnection();
    const user = await staticUser();
    await call(m, 'update', 'static-roles/static-loop', {
      db_name: 'pg',
      username: user.username,
      rotation_period: '1h',
    });
    let running = true;
    let logins = 0;
    let recoveries = 0;
    const client = (async () => {
      while (running) {
        let attempts = 0;
        for (;;) {
          const creds = (await m.request('read', 'static-creds/static-loop', {}, root))!.data as {
            password: string;
          };
          if (await cluster.canLogin(user.username, creds.password)) break;
          if (++attempts > 20) throw new Error('client never recovered');
          await sleep(20);
        }
        if (attempts > 0) recoveries++;
        logins++;
      }
    })();
    let clientError: unknown;
    client.catch((error: unknown) => {
      clientError = error;
    });
    for (let i = 0; i < 20; i++) {
      assert.equal((await call(m, 'update', 'rotate-role/static-loop')).status, 204);
      // Two more logins: at least one read the credentials after this rotation. Waiting for them,
      // rather than sleeping a fixed time, keeps the test about recovery, not about this machine's speed.
      const seen = logins;
      const deadline = Date.now() + 10_000;
      while (logins < seen + 2 && clientError === undefined && Date.now() < deadline) await sleep(5);
      assert.equal(clientError, undefined);
      assert.ok(logins >= seen + 2, `rotation ${i}: no login with the new password within 10 s`);
    }
    running = false;
    await client;
    assert.ok(logins >= 40, `${logins} logins, ${recoveries} after a retry`);
    const last = (await call(m, 'read', 'static-creds/static-loop')).response!.data as { password: string };
    assert.equal(await cluster.canLogin(user.username, last.password), true);
  });

  test('static role: the scheduler rotates when the period is due', async () => {
    const { m } = await mountWithConnection();
    const user = await staticUser();
    await call(m, 'update', 'static-roles/static-sched', {
      db_name: 'pg',
      username: user.username,
      rotation_period: 10,
    });
    const before = (await call(m, 'read', 'static-creds/static-sched')).response!.data as Record<
      string,
      unknown
    >;
    const clock = m.clock as FakeClock;
    const password = async () =>
      ((await call(m, 'read', 'static-creds/static-sched')).response!.data as { password: string }).password;
    // Fake time moves one second at a time, with a moment of real time for each pass's database work.
    for (let second = 0; second < 30 && (await password()) === before.password; second++) {
      clock.advance(1000);
      await sleep(30);
    }
    const now = await password();
    assert.notEqual(now, before.password);
    assert.equal(await cluster.canLogin(user.username, now), true);
  });

  test('static role: a cron schedule gives ttl up to the next slot', async () => {
    const { m } = await mountWithConnection();
    const user = await staticUser();
    const created = await call(m, 'update', 'static-roles/static-cron', {
      db_name: 'pg',
      username: user.username,
      rotation_schedule: '*/5 * * * *',
    });
    assert.equal(created.status, 204, created.error);
    const data = (await call(m, 'read', 'static-creds/static-cron')).response!.data as Record<
      string,
      unknown
    >;
    assert.equal(data.rotation_schedule, '*/5 * * * *');
    assert.ok(Number(data.ttl) >= 0 && Number(data.ttl) <= 300);
  });

  /** Wraps the real plugin so a test decides when a password change fails, before or after the database. */
  function faultyPlugins(fault: { mode: 'none' | 'before' | 'after' }) {
    const real = databasePlugins.get(POSTGRES_PLUGIN_NAME)!;
    const factory: PluginFactory = async () => {
      const plugin = await real();
      const wrapped: DatabasePlugin = {
        type: plugin.type,
        initialize: (r) => plugin.initialize(r),
        newUser: (r) => plugin.newUser(r),
        deleteUser: (r) => plugin.deleteUser(r),
        close: () => plugin.close(),
        async updateUser(r) {
          if (r.password && fault.mode === 'before') throw new Error('connection lost before the change');
          await plugin.updateUser(r);
          if (r.password && fault.mode === 'after') throw new Error('crashed before Coffer heard back');
        },
      };
      return wrapped;
    };
    return new Map([[POSTGRES_PLUGIN_NAME, factory]]);
  }

  test('crash safety: a failed change keeps the working password; a crash after the change is re-applied on start', async () => {
    const fault = { mode: 'none' as 'none' | 'before' | 'after' };
    const { engine, m } = await mountWithConnection(faultyPlugins(fault));
    const user = await staticUser();
    await call(m, 'update', 'static-roles/static-crash', {
      db_name: 'pg',
      username: user.username,
      rotation_period: '1h',
    });
    const current = (
      (await call(m, 'read', 'static-creds/static-crash')).response!.data as { password: string }
    ).password;

    fault.mode = 'before';
    const failed = await call(m, 'update', 'rotate-role/static-crash');
    assert.equal(failed.status, 500);
    const stored = await m.ctx.storage.getJson<StaticRole>('static-role/static-crash');
    assert.ok(stored?.pending, 'the new password was written before the database call');
    assert.ok(!failed.error.includes(stored.pending.password));
    const served = (
      (await call(m, 'read', 'static-creds/static-crash')).response!.data as { password: string }
    ).password;
    assert.equal(served, current, 'readers still get the password that works');
    assert.equal(await cluster.canLogin(user.username, current), true);

    fault.mode = 'after';
    await call(m, 'update', 'rotate-role/static-crash'); // re-applies the same pending password, then "crashes"
    assert.equal(
      await cluster.canLogin(user.username, current),
      false,
      'the database took the pending password',
    );
    assert.equal(await cluster.canLogin(user.username, stored.pending.password), true);

    fault.mode = 'none';
    await engine.cleanup?.(m.ctx); // the "crashed" server is gone
    const restarted = createDatabaseEngine();
    const ctx = { ...m.ctx, system: { ...m.ctx.system, mountUuid: randomUUID() } };
    opened.push({ engine: restarted, ctx });
    const again = await remount(restarted, ctx);
    (m.clock as FakeClock).advance(0); // the scheduler's first pass settles pending passwords
    await eventually(
      async () => !(await ctx.storage.getJson<StaticRole>('static-role/static-crash'))?.pending,
    );
    const after = (
      (await again.request('read', 'static-creds/static-crash', {}, root))!.data as { password: string }
    ).password;
    assert.equal(after, stored.pending.password);
    assert.equal(await cluster.canLogin(user.username, after), true);
  });

  test('rotate-root changes the root password at the database and keeps working', async () => {
    const { m } = await mount();
    const own = await cluster.createAdmin('coffer_rotated');
    await call(m, 'update', 'config/pg', connection({ username: own.username, password: own.password }));
    await call(m, 'update', 'roles/app', { db_name: 'pg', creation_statements: CREATE });
    assert.equal((await call(m, 'update', 'rotate-root/pg')).status, 204);
    assert.equal(await cluster.canLogin(own.username, own.password), false);
    const stored = (await m.ctx.storage.getJson<{ connectionDetails: { password: string } }>('config/pg'))!;
    assert.notEqual(stored.connectionDetails.password, own.password);
    assert.equal(await cluster.canLogin(own.username, stored.connectionDetails.password), true);
    assert.equal((await call(m, 'read', 'creds/app')).status, 200);
    assert.equal((await call(m, 'update', 'reset/pg')).status, 204);
    assert.equal((await call(m, 'read', 'creds/app')).status, 200);
  });

  test('rotate-root interrupted: the next connection finds which password works', async () => {
    const { m } = await mount();
    const own = await cluster.createAdmin('coffer_pending');
    await call(m, 'update', 'config/pg', connection({ username: own.username, password: own.password }));
    const config = (await m.ctx.storage.getJson<Record<string, unknown>>('config/pg'))!;
    const pending = 'Pend1ng-root-password';
    await m.ctx.storage.putJson('config/pg', { ...config, pendingRootPassword: pending });
    await cluster.query(`ALTER ROLE "${own.username}" PASSWORD '${pending}'`);
    assert.equal((await call(m, 'update', 'reset/pg')).status, 204);
    const settled = (await m.ctx.storage.getJson<{
      connectionDetails: { password: string };
      pendingRootPassword?: string;
    }>('config/pg'))!;
    assert.equal(settled.connectionDetails.password, pending);
    assert.equal(settled.pendingRootPassword, undefined);
  });

  test('works against the shared PostgreSQL on 5432 (trust auth: existence, not logins)', async () => {
    const { engine, m } = await mount();
    const shared = new (await import('pg')).default.Pool({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
      max: 1,
    });
    try {
      const written = await call(m, 'update', 'config/shared', {
        plugin_name: POSTGRES_PLUGIN_NAME,
        connection_url: 'postgresql://postgres@127.0.0.1:5432/postgres',
        allowed_roles: '*',
      });
      assert.equal(written.status, 204, written.error);
      await call(m, 'update', 'roles/shared', { db_name: 'shared', creation_statements: CREATE });
      const creds = (await call(m, 'read', 'creds/shared')).response!;
      const { username } = creds.data as { username: string };
      const exists = async () =>
        (await shared.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount === 1;
      assert.equal(await exists(), true);
      const lease = {
        leaseId: 'x',
        internalData: creds.secret!.internalData!,
        issueTime: Date.now(),
        expireTime: Date.now(),
      };
      await engine.secrets![0].revoke(m.ctx, lease);
      assert.equal(await exists(), false);
    } finally {
      await shared.end();
    }
  });

  test('unmount closes every pooled connection', async () => {
    const { engine, m } = await mount();
    const own = await cluster.createAdmin('coffer_pool');
    await call(m, 'update', 'config/pg', connection({ username: own.username, password: own.password }));
    await call(m, 'update', 'roles/app', { db_name: 'pg', creation_statements: CREATE });
    await call(m, 'read', 'creds/app');
    const sessions = () =>
      cluster
        .query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [own.username])
        .then((r) => r.rowCount ?? 0);
    assert.ok((await sessions()) > 0);
    await engine.cleanup?.(m.ctx);
    await eventually(async () => (await sessions()) === 0);
  });
});
