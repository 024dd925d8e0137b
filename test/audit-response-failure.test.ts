/**
 * SECURITY.md E2, response-audit failure, end to end and without a test hook: the only audit device
 * is a `socket` device whose peer (a local TCP server) takes the request entry of a dynamic-credential
 * read and then goes away, so the response entry cannot be written. The client must get a 500 with
 * no secret in it, and the PostgreSQL user made for it must not outlive the failed request.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually.js';
import { type ScramCluster, startScramCluster } from './helpers/scram-postgres.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
/** The test learns each user made, with its password, to prove afterwards that it cannot log in. */
const RECORD = `INSERT INTO e2_created (name, password) VALUES ('{{name}}', '{{password}}');`;
/** Leaves the peer's close ample time to reach Coffer before the response entry is written. */
const PAUSE = 'SELECT pg_sleep(2);';

/**
 * The audit device's peer: reads JSON lines; once it has read the request entry of `failAfter`, it
 * closes every connection and stops listening, so the response entry (and Coffer's one reconnect)
 * fail. `resume()` listens again on the same port.
 */
class AuditPeer {
  port = 0;
  failAfter?: string;
  readonly entries: { type: string; request?: { path?: string } }[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private stopped?: Promise<void>;

  async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    this.stopped = undefined;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const entry = JSON.parse(pending.slice(0, end));
        pending = pending.slice(end + 1);
        this.entries.push(entry);
        if (entry.type === 'request' && entry.request?.path === this.failAfter) {
          this.failAfter = undefined;
          this.stop();
        }
      }
    });
  }

  /** Stops accepting, then closes the live connections. */
  stop(): Promise<void> {
    if (!this.stopped) {
      const server = this.server;
      this.stopped = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      for (const socket of this.sockets) socket.destroy();
    }
    return this.stopped;
  }

  async resume(): Promise<void> {
    await this.stop();
    await this.listen();
  }
}

describe('E2: a response that cannot be audited leaves no live credential', () => {
  let cluster: ScramCluster;
  let server: TestServer;
  let root: string;
  const peer = new AuditPeer();
  const secrets: string[] = [];

  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await server.api('POST', path, body, root);
    assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
  };
  const created = async (role: string) =>
    (
      await cluster.query<{ name: string; password: string }>(
        'SELECT name, password FROM e2_created WHERE name LIKE $1',
        [`%-${role}-%`],
      )
    ).rows;
  const leasesOf = async (role: string): Promise<string[]> => {
    const res = await server.api('LIST', `sys/leases/lookup/database/creds/${role}/`, undefined, root);
    if (res.status === 404) return []; // nothing under the prefix
    assert.equal(res.status, 200, res.text);
    return res.body.data.keys;
  };

  /**
   * Reads credentials of `role` while the peer drops out after the request entry; returns the user
   * the engine made, once the 500 has been checked and the peer is back.
   */
  const unauditedRead = async (role: string, headers: Record<string, string> = {}) => {
    peer.failAfter = `database/creds/${role}`;
    const res = await server.api('GET', `database/creds/${role}`, undefined, root, headers);
    await peer.resume();
    const users = await created(role);
    assert.equal(users.length, 1, 'the engine made one user before the response entry failed');
    const user = users[0];
    secrets.push(user.password);
    assert.equal(res.status, 500, res.text);
    assert.deepEqual(res.body.errors, ['internal error']);
    for (const secret of [user.name, user.password])
      assert.ok(!res.text.includes(secret), 'no secret in the body');
    assert.ok(
      peer.entries.some((e) => e.type === 'request' && e.request?.path === `database/creds/${role}`),
      'the request entry was recorded',
    );
    return user;
  };

  before(async () => {
    cluster = await startScramCluster();
    const admin = await cluster.createAdmin('coffer_e2');
    secrets.push(admin.password);
    await cluster.query(
      'CREATE TABLE e2_created (name text, password text); CREATE TABLE e2_revoke_allowed (ok int)',
    );
    // audit: false: the peer must be the only device (a second one that works would let requests through).
    server = await startTestServer({ storage: 'sqlite', audit: false });
    root = server.rootToken;
    await write('sys/mounts/database', { type: 'database' });
    await write('database/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${cluster.port}/postgres`,
      username: admin.username,
      password: admin.password,
      allowed_roles: ['plain', 'wrapped', 'stubborn', 'renewed'],
    });
    const creation_statements = [CREATE, RECORD, PAUSE];
    await write('database/roles/plain', { db_name: 'pg', creation_statements, default_ttl: '1h' });
    await write('database/roles/wrapped', { db_name: 'pg', creation_statements, default_ttl: '1h' });
    // Revocation that fails until the test allows it (a database refusing the DROP).
    await write('database/roles/stubborn', {
      db_name: 'pg',
      creation_statements,
      revocation_statements: [
        `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM e2_revoke_allowed) THEN RAISE EXCEPTION 'revocation refused by the test'; END IF; END $$;`,
        'DROP ROLE "{{name}}";',
      ],
      default_ttl: '1h',
    });
    // Renewal pauses too, so the peer's close reaches Coffer before the renewal's response entry.
    await write('database/roles/renewed', {
      db_name: 'pg',
      creation_statements: [CREATE, RECORD],
      renew_statements: [PAUSE, `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`],
      default_ttl: '1h',
    });
    await peer.listen();
    await write('sys/audit/peer', {
      type: 'socket',
      options: { address: `127.0.0.1:${peer.port}`, socket_type: 'tcp', write_timeout: '5s' },
    });
  });

  after(async () => {
    await server?.stop();
    if (server) await removeServerDir(server);
    await peer.stop();
    await cluster?.stop();
  });

  test('a credential read: 500, and the user made for it is dropped at the database', async () => {
    const user = await unauditedRead('plain');
    assert.equal(await cluster.roleExists(user.name), false, 'the user was revoked before the 500');
    assert.equal(await cluster.canLogin(user.name, user.password), false);
    assert.deepEqual(await leasesOf('plain'), [], 'and its lease is gone');
    // The device works again once its peer is back: the next read is answered and audited.
    const again = await server.api('GET', 'database/creds/plain', undefined, root);
    assert.equal(again.status, 200, again.text);
    secrets.push(again.body.data.password);
    assert.equal(await cluster.canLogin(again.body.data.username, again.body.data.password), true);
  });

  test('a response-wrapped credential read: the lease inside the wrapped response is revoked too', async () => {
    const user = await unauditedRead('wrapped', { 'X-Vault-Wrap-TTL': '5m' });
    await eventually(async () => !(await cluster.roleExists(user.name)), 20_000, 'wrapped user dropped');
    assert.equal(await cluster.canLogin(user.name, user.password), false);
    assert.deepEqual(await leasesOf('wrapped'), []);
  });

  test('when revoking the unaudited credential fails, its lease is kept and retried until the user is gone', async () => {
    const user = await unauditedRead('stubborn');
    // The database refused the revocation: the lease must stay to be retried, not be forgotten.
    assert.equal(await cluster.roleExists(user.name), true);
    const leases = await leasesOf('stubborn');
    assert.equal(leases.length, 1, 'the lease is kept while the user exists');
    await cluster.query('INSERT INTO e2_revoke_allowed VALUES (1)');
    // Retries back off from 1 s (1, 2, 4, 8 …): the user goes within a minute even on a loaded machine.
    await eventually(async () => !(await cluster.roleExists(user.name)), 60_000, 'user dropped by a retry');
    assert.equal(await cluster.canLogin(user.name, user.password), false);
    await eventually(async () => (await leasesOf('stubborn')).length === 0, 15_000, 'lease ended');
  });

  test('a renewal that cannot be audited: 500, but the lease and the user the client already had stay', async () => {
    const issued = await server.api('GET', 'database/creds/renewed', undefined, root);
    assert.equal(issued.status, 200, issued.text);
    const { username, password } = issued.body.data;
    secrets.push(password);
    peer.failAfter = 'sys/leases/renew';
    const renewed = await server.api('PUT', 'sys/leases/renew', { lease_id: issued.body.lease_id }, root);
    await peer.resume();
    assert.equal(renewed.status, 500, renewed.text);
    // Only what a request made is revoked when its answer is lost; this one made nothing.
    assert.equal(await cluster.canLogin(username, password), true, 'the user still logs in');
    assert.deepEqual(await leasesOf('renewed'), [issued.body.lease_id.split('/').pop()]);
  });

  test('no secret reached the server output', () => {
    const output = server.output();
    for (const secret of secrets) assert.ok(!output.includes(secret), 'a secret in the server output');
  });
});
