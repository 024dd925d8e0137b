/**
 * The database engine end to end: a real Coffer process (sqlite storage) issuing PostgreSQL users
 * on a cluster that demands scram passwords. Covers lease revoke, TTL expiry, renewal, revocation
 * retried through a database outage (a fault proxy), expiry while the server was down, and the CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../src/cli/testing.js';
import { eventually } from './helpers/eventually.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

describe('database secrets engine (PostgreSQL, end to end)', () => {
  let cluster: ScramCluster;
  let proxy: FaultProxy;
  let server: TestServer;
  let root: string;
  let admin: { username: string; password: string };
  /** Every secret the server handled, to scan its output for at the end. */
  const secrets: string[] = [];

  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await server.api('POST', path, body, root);
    assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
    return res;
  };
  const issue = async (role: string) => {
    const res = await server.api('GET', `database/creds/${role}`, undefined, root);
    assert.equal(res.status, 200, res.text);
    secrets.push(res.body.data.password);
    return res.body as {
      lease_id: string;
      lease_duration: number;
      data: { username: string; password: string };
    };
  };
  const renew = async (leaseId: string, increment: number) => {
    const res = await server.api('PUT', 'sys/leases/renew', { lease_id: leaseId, increment }, root);
    assert.equal(res.status, 200, res.text);
    return res;
  };
  const connectionTo = (port: number, allowed: string[]) => ({
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${port}/postgres`,
    username: admin.username,
    password: admin.password,
    allowed_roles: allowed,
  });

  before(async () => {
    cluster = await startScramCluster();
    admin = await cluster.createAdmin('coffer_e2e');
    secrets.push(admin.password);
    proxy = await new FaultProxy(cluster.port).start();
    server = await startTestServer({ storage: 'sqlite' });
    root = server.rootToken;
    await write('sys/mounts/database', { type: 'database' });
    await write(
      'database/config/pg',
      connectionTo(cluster.port, [
        'app',
        'short',
        'restart',
        'cli',
        'b64',
        'json',
        'dollar',
        'granted',
        'commented',
        'timed',
      ]),
    );
    await write('database/config/viaproxy', connectionTo(proxy.port, ['proxied']));
    await write('database/roles/app', { db_name: 'pg', creation_statements: [CREATE], default_ttl: '1h' });
    await write('database/roles/short', { db_name: 'pg', creation_statements: [CREATE], default_ttl: '2s' });
    await write('database/roles/proxied', {
      db_name: 'viaproxy',
      creation_statements: [CREATE],
      default_ttl: 3,
    });
  });
  after(async () => {
    await server?.stop();
    if (server) await removeServerDir(server);
    await proxy?.close();
    await cluster?.stop();
  });

  test('F6: a creation that outlasts max_request_duration is a 500, and the user it made late is dropped', async () => {
    const timed = await startTestServer({
      storage: 'sqlite',
      listenerOptions: { max_request_duration: '2s' },
    });
    try {
      const call = (method: string, path: string, body?: Record<string, unknown>) =>
        timed.api(method, path, body, timed.rootToken);
      assert.equal((await call('POST', 'sys/mounts/database', { type: 'database' })).status, 204);
      const config = await call('POST', 'database/config/pg', connectionTo(cluster.port, ['slow']));
      assert.equal(config.status, 204, config.text);
      // A database that hangs for 4 s while the user is created; the name it made is recorded, since
      // the client never learns it.
      await cluster.query('CREATE TABLE f6_made (name text)');
      const slow = ['SELECT pg_sleep(4);', CREATE, "INSERT INTO f6_made VALUES ('{{name}}');"];
      const role = { db_name: 'pg', creation_statements: slow, default_ttl: '1h' };
      assert.equal((await call('POST', 'database/roles/slow', role)).status, 204);
      const started = Date.now();
      const res = await call('GET', 'database/creds/slow');
      const waited = Date.now() - started;
      assert.equal(res.status, 500, res.text);
      assert.deepEqual(res.body.errors, ['context deadline exceeded']);
      assert.ok(waited >= 1900 && waited < 3900, `answered after ${waited} ms, not at the 2 s deadline`);
      // The creation commits ~2 s later; the server revokes the credential nobody received.
      let made = '';
      await eventually(
        async () => {
          made = (await cluster.query<{ name: string }>('SELECT name FROM f6_made')).rows[0]?.name ?? '';
          return made !== '';
        },
        30_000,
        'the slow creation commits',
      );
      await eventually(async () => !(await cluster.roleExists(made)), 30_000, 'the late user is dropped');
      const leases = await call('LIST', 'sys/leases/lookup/database/creds/slow/');
      assert.equal(leases.status, 404, `no lease is left behind: ${leases.text}`);
      assert.match(timed.output(), /finished after max_request_duration/);
    } finally {
      await timed.stop();
      await removeServerDir(timed);
    }
  });

  test('issued credentials log in; sys/leases/revoke drops the role and the login fails', async () => {
    const creds = await issue('app');
    assert.match(creds.lease_id, /^database\/creds\/app\/[A-Za-z0-9]{24}$/);
    assert.equal(creds.lease_duration, 3600);
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
    const revoked = await server.api('PUT', 'sys/leases/revoke', { lease_id: creds.lease_id }, root);
    assert.equal(revoked.status, 204, revoked.text);
    assert.equal(await cluster.roleExists(creds.data.username), false);
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), false);
  });

  test('password_authentication = "scram-sha-256": PostgreSQL is sent a verifier, never the password', async () => {
    const hashing = await cluster.createAdmin('coffer_scram');
    secrets.push(hashing.password);
    // Every statement this connection's sessions run is written to the cluster's log.
    await cluster.query(`ALTER ROLE ${hashing.username} SET log_statement = 'all'`);
    const config = {
      ...connectionTo(cluster.port, ['scram']),
      ...hashing,
      password_authentication: 'scram-sha-256',
    };
    await write('database/config/scram', config);
    const shown = await server.api('GET', 'database/config/scram', undefined, root);
    assert.equal(shown.body.data.connection_details.password_authentication, 'scram-sha-256');
    await write('database/roles/scram', {
      db_name: 'scram',
      creation_statements: [CREATE],
      default_ttl: '1h',
    });

    const creds = await issue('scram');
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
    // rotate-root changes the root password the same way, and the connection goes on working with it.
    await write('database/rotate-root/scram', {});
    const after = await issue('scram');
    assert.equal(await cluster.canLogin(after.data.username, after.data.password), true);

    const log = await cluster.logText();
    const created = log.split('\n').filter((line) => line.includes(`CREATE ROLE "${creds.data.username}"`));
    assert.equal(created.length, 1, 'the creation was logged');
    assert.match(
      created[0],
      /PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'/,
    );
    assert.match(
      log,
      /ALTER ROLE "coffer_scram_[a-z0-9]+" WITH PASSWORD 'SCRAM-SHA-256\$4096:/,
      'rotate-root too',
    );
    for (const secret of [creds.data.password, after.data.password])
      assert.ok(!log.includes(secret), 'a password reached the database in plain text');

    const revoked = await server.api('PUT', 'sys/leases/revoke', { lease_id: creds.lease_id }, root);
    assert.equal(revoked.status, 204, revoked.text);
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), false);

    const refused = await server.api(
      'POST',
      'database/config/md5',
      { ...config, password_authentication: 'md5' },
      root,
    );
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.errors, ["'md5' is not a valid password authentication type"]);
  });

  test("creation statements as Vault's PostgreSQL plugin reads them: base64, a JSON array, a $$ block", async () => {
    const grant = 'ALTER ROLE "{{name}}" CONNECTION LIMIT 5;';
    // The `;` inside the body would break the block if the entry were split like the others.
    const block = `DO $$ BEGIN EXECUTE 'ALTER ROLE "{{name}}" CONNECTION LIMIT 7'; END $$;`;
    const shapes = {
      b64: [Buffer.from(`${CREATE} ${grant}`).toString('base64')],
      json: [JSON.stringify([CREATE, grant])],
      dollar: [CREATE, block],
      // A statement that ends in a line comment: it must not swallow what follows it.
      commented: [JSON.stringify([CREATE.replace(/;$/, ' -- the login role'), grant])],
    };
    for (const [role, statements] of Object.entries(shapes)) {
      await write(`database/roles/${role}`, {
        db_name: 'pg',
        creation_statements: statements,
        default_ttl: '1h',
      });
      const creds = await issue(role);
      assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true, role);
    }
  });

  test('statements run under a statement timeout (Vault cancels a plugin call after 90 s)', async () => {
    // Issuing succeeds only if the session the statements run in carries the timeout.
    const check = `DO $$ BEGIN IF current_setting('statement_timeout') <> '90s' THEN RAISE EXCEPTION 'no statement timeout'; END IF; END $$;`;
    await write('database/roles/timed', {
      db_name: 'pg',
      creation_statements: [check, CREATE],
      default_ttl: '1h',
    });
    const creds = await issue('timed');
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
  });

  test('grants on one schema, issued and revoked concurrently: every grant goes, live sessions end, the roles drop', async () => {
    await cluster.query(`
      CREATE SCHEMA shop; CREATE TABLE shop.orders (id int); CREATE SEQUENCE shop.order_ids;
      CREATE SCHEMA audit; CREATE TABLE audit.log (entry text, secret text);`);
    const grants = [
      'GRANT USAGE ON SCHEMA shop, audit TO "{{name}}"',
      'GRANT SELECT, INSERT ON shop.orders TO "{{name}}"',
      'GRANT USAGE ON SEQUENCE shop.order_ids TO "{{name}}"',
      'GRANT SELECT (entry) ON audit.log TO "{{name}}"',
      'GRANT CONNECT ON DATABASE postgres TO "{{name}}"',
    ];
    await write('database/roles/granted', {
      db_name: 'pg',
      creation_statements: [CREATE, ...grants.map((grant) => `${grant};`)],
      default_ttl: '1h',
    });
    // Concurrent GRANTs on one schema rewrite the same catalog row; none of these may fail.
    const issued = await Promise.all(Array.from({ length: 6 }, () => issue('granted')));
    const { username, password } = issued[0].data;
    const session = await cluster.connectAs(username, password);
    await session.query('INSERT INTO shop.orders VALUES (nextval($1))', ['shop.order_ids']);
    await session.query('SELECT entry FROM audit.log');

    const revoked = await Promise.all(
      issued.map((creds) => server.api('PUT', 'sys/leases/revoke', { lease_id: creds.lease_id }, root)),
    );
    for (const res of revoked) assert.equal(res.status, 204, res.text);
    for (const creds of issued) assert.equal(await cluster.roleExists(creds.data.username), false);
    await assert.rejects(session.query('SELECT 1'), 'the open session was ended');
    await session.end().catch(() => undefined);
    assert.equal(await cluster.canLogin(username, password), false);
  });

  test('max_idle_connections: past it, connections close once their work is done', async () => {
    const owner = await cluster.createAdmin('coffer_idle');
    secrets.push(owner.password);
    await write('database/config/idle', {
      ...connectionTo(cluster.port, ['idle']),
      username: owner.username,
      password: owner.password,
      max_open_connections: 4,
      max_idle_connections: 1,
    });
    // Each issue holds its connection a moment, so the burst overlaps however fast the machine is (a
    // 12-issue burst once finished in 88 ms, between two samples).
    await write('database/roles/idle', {
      db_name: 'idle',
      creation_statements: [CREATE, 'SELECT pg_sleep(0.05);'],
      default_ttl: '1h',
    });
    const open = async () =>
      Number(
        (
          await cluster.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1',
            [owner.username],
          )
        ).rows[0].n,
      );
    let most = 0;
    let issuing = true;
    const sampler = (async () => {
      while (issuing) {
        most = Math.max(most, await open());
        await sleep(5);
      }
    })();
    await Promise.all(Array.from({ length: 12 }, () => issue('idle')));
    issuing = false;
    await sampler;
    assert.ok(most >= 2, `the burst ran on several connections (at most ${most} seen)`);
    await eventually(async () => (await open()) <= 1, 5000, 'idle connections down to max_idle_connections');
  });

  test('a lease that reaches its TTL is revoked at the database', async () => {
    const creds = await issue('short');
    assert.equal(creds.lease_duration, 2);
    const waited = await eventually(
      async () => !(await cluster.roleExists(creds.data.username)),
      15_000,
      'expired user dropped',
    );
    assert.ok(waited >= 1000, `dropped after ${waited} ms, not before the TTL`);
  });

  test('a renewed lease outlives its first expiry and is dropped at the renewed one', async () => {
    const creds = await issue('short'); // 2 s
    await renew(creds.lease_id, 5);
    const renewedAt = Date.now();
    // Past the first expiry: the due entry the renewal left there fires, finds the lease renewed, moves.
    await sleep(3000);
    assert.equal(await cluster.roleExists(creds.data.username), true, 'not dropped at the first expiry');
    await eventually(
      async () => !(await cluster.roleExists(creds.data.username)),
      15_000,
      'dropped at the renewed expiry',
    );
    const after = Date.now() - renewedAt;
    assert.ok(after >= 4500, `dropped ${after} ms after the renewal, before its 5 s`);
  });

  test('renewing a lease extends VALID UNTIL at the database', async () => {
    const creds = await issue('app');
    const validUntil = async () =>
      (
        await cluster.query<{ at: Date }>('SELECT rolvaliduntil AS at FROM pg_roles WHERE rolname = $1', [
          creds.data.username,
        ])
      ).rows[0].at.getTime();
    assert.ok(Math.abs((await validUntil()) - (Date.now() + 3605_000)) < 10_000);
    const renewed = await renew(creds.lease_id, 7200);
    assert.equal(renewed.body.lease_id, creds.lease_id);
    assert.equal(renewed.body.renewable, true);
    assert.ok(Math.abs(renewed.body.lease_duration - 7200) <= 5, renewed.text);
    const lookup = await server.api('PUT', 'sys/leases/lookup', { lease_id: creds.lease_id }, root);
    assert.ok(Math.abs(lookup.body.data.ttl - 7200) <= 5, lookup.text);
    assert.ok(Math.abs((await validUntil()) - (Date.now() + 7205_000)) < 10_000);
  });

  test('revocation during a database outage is retried and succeeds once the database is back', async () => {
    const first = await issue('proxied');
    const second = await issue('proxied');
    proxy.setMode('refuse');
    const refused = await server.api('PUT', 'sys/leases/revoke', { lease_id: first.lease_id }, root);
    assert.equal(refused.status, 500, 'a synchronous revoke reports the failure');
    for (const secret of secrets) assert.ok(!refused.text.includes(secret), 'no secret in the error body');
    const lookup = await server.api('PUT', 'sys/leases/lookup', { lease_id: first.lease_id }, root);
    assert.equal(lookup.status, 200, 'the lease stays until the user is really gone');
    assert.equal(await cluster.roleExists(first.data.username), true);
    // Both leases expire (3 s) while the database is unreachable; the expiration manager backs off and retries.
    await eventually(async () => proxy.refused >= 4, 15_000, 'revocation retried during the outage');
    assert.equal(await cluster.roleExists(second.data.username), true);
    proxy.setMode('pass');
    await eventually(
      async () =>
        !(await cluster.roleExists(first.data.username)) && !(await cluster.roleExists(second.data.username)),
      // Backoff doubles from 1 s: the next try after the outage can be 32 s away on a loaded machine.
      70_000,
      'both users dropped after the outage',
    );
    assert.equal(await cluster.canLogin(second.data.username, second.data.password), false);
    const gone = await server.api('PUT', 'sys/leases/lookup', { lease_id: second.lease_id }, root);
    assert.equal(gone.status, 400);
  });

  test('a database connection cut in the middle of issuing fails that request, not the server', async () => {
    await write('database/config/viaproxy', connectionTo(proxy.port, ['proxied', 'slow']));
    await write('database/roles/slow', {
      db_name: 'viaproxy',
      creation_statements: [CREATE, 'SELECT pg_sleep(2);'],
    });
    const pending = server.api('GET', 'database/creds/slow', undefined, root);
    await new Promise((resolve) => setTimeout(resolve, 500)); // inside the transaction, on a checked-out connection
    proxy.cut();
    const cut = await pending;
    assert.equal(cut.status, 500, cut.text);
    assert.equal((await server.api('GET', 'sys/health')).status, 200, 'the server is still up');
    const again = await issue('proxied');
    assert.ok(again.lease_id, 'and issues again over a new connection');
  });

  test('the CLI writes a connection and reads credentials', async () => {
    const env = { VAULT_ADDR: server.address, VAULT_TOKEN: root };
    const configure = await runCli(
      [
        'write',
        'database/config/cli',
        'plugin_name=postgresql-database-plugin',
        `connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:${cluster.port}/postgres`,
        `username=${admin.username}`,
        'password=-', // from stdin: a root password on a command line shows in process listings
        'allowed_roles=cli',
      ],
      { env, stdin: admin.password },
    );
    assert.equal(configure.code, 0, configure.stderr);
    const role = await runCli(
      ['write', 'database/roles/cli', 'db_name=cli', `creation_statements=${CREATE}`, 'default_ttl=10m'],
      { env },
    );
    assert.equal(role.code, 0, role.stderr);
    const read = await runCli(['read', '-format=json', 'database/creds/cli'], { env });
    assert.equal(read.code, 0, read.stderr);
    const creds = JSON.parse(read.stdout);
    secrets.push(creds.data.password);
    assert.match(creds.lease_id, /^database\/creds\/cli\//);
    assert.equal(creds.lease_duration, 600);
    assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), true);
    const config = await runCli(['read', '-format=json', 'database/config/cli'], { env });
    assert.ok(!config.stdout.includes(admin.password));
  });

  test('users whose leases expired while the server was down are dropped after unseal', async () => {
    await write('database/roles/restart', {
      db_name: 'pg',
      creation_statements: [CREATE],
      default_ttl: '3s',
    });
    const users = [await issue('restart'), await issue('restart')];
    await server.stop();
    await sleep(5_000); // past the TTL with nobody running
    for (const creds of users) assert.equal(await cluster.roleExists(creds.data.username), true);
    server = await restartOnSameStorage(server);
    await server.unseal();
    const waited = await eventually(
      async () => {
        for (const creds of users) if (await cluster.roleExists(creds.data.username)) return false;
        return true;
      },
      // 40 s: once, on a loaded machine, this took more than 20 (not understood yet; see the notes).
      40_000,
      'users dropped after restart',
    );
    assert.ok(waited < 20_000);
    for (const creds of users)
      assert.equal(await cluster.canLogin(creds.data.username, creds.data.password), false);
  });

  test('no password reached the server output', () => {
    const output = server.output();
    for (const secret of secrets) assert.ok(!output.includes(secret), 'secret found in server output');
  });
});
