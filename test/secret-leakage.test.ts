/**
 * Secret leakage (SECURITY.md K2, K3, K5): no secret in a process listing, no core dump and no
 * inspector on SIGUSR1, and no canary echoed by an error body, a config read, the audit log or the
 * server's output.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findCanaries, watchOutput } from './helpers/canary.js';
import {
  type ApiResult,
  api,
  BIN,
  removeServerDir,
  spawnServer,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

const PG_URL = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const canary = () => `CANARY_${randomBytes(10).toString('hex')}`;

/** No secret in `text`, raw, base64 or hex (the K1 sweep's search, helpers/canary.ts). */
function assertNoCanary(text: string, secrets: readonly string[], where: string): void {
  const hits = findCanaries(
    text,
    secrets.map((value) => ({ value, label: 'a secret' })),
    where,
  );
  assert.deepEqual(hits, [], `${where} holds a secret: ${text}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `pid` and every process below it, from each process's parent in /proc/<pid>/stat. */
async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields after it are fixed.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone since readdir
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** The local addresses (hex `ip:port`, as /proc/net/tcp writes them) on which `pid` itself listens. */
async function listeningSockets(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl, local_address, rem_address, st (0A = LISTEN), …, inode at index 9
      if (cols[3] === '0A' && inodes.has(cols[9])) found.push(cols[1]);
    }
  }
  return found.sort();
}

describe('K3: process listings', () => {
  test('no secret in the cmdline of the server or of any process under it', async () => {
    const table = `coffer_leak_${process.pid}_${Date.now()}`;
    const pgPassword = canary(); // PostgreSQL here trusts 127.0.0.1: the password is carried, never checked
    const url = new URL(PG_URL);
    url.password = pgPassword;
    const server = await startTestServer({
      storage: 'postgresql',
      storageOptions: { connection_url: url.toString(), table },
      uninitialized: true,
    });
    try {
      const init = await server.api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
      assert.equal(init.status, 200, init.text);
      const root: string = init.body.root_token;
      const keys: string[] = init.body.keys;
      // Unsealed the documented way: the CLI takes the share on stdin, the address from the environment.
      for (const key of keys.slice(0, 2)) {
        const cli = spawnSync(process.execPath, [BIN, 'operator', 'unseal'], {
          input: `${key}\n`,
          env: { ...process.env, VAULT_ADDR: server.address },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(cli.status, 0, cli.stderr);
      }
      assert.equal((await server.api('GET', 'sys/seal-status')).body.sealed, false);

      const kvSecret = canary();
      const dbPassword = canary();
      assert.equal((await server.api('POST', 'sys/mounts/kv', { type: 'kv-v2' }, root)).status, 204);
      await until('the kv-v2 mount', async () =>
        (await server.api('POST', 'kv/data/app', { data: { password: kvSecret } }, root)).status === 200
          ? true
          : undefined,
      );
      assert.equal((await server.api('POST', 'sys/mounts/database', { type: 'database' }, root)).status, 204);
      const config = await server.api(
        'POST',
        'database/config/pg',
        {
          plugin_name: 'postgresql-database-plugin',
          connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres',
          username: 'admin',
          password: dbPassword,
          verify_connection: false,
          allowed_roles: '*',
        },
        root,
      );
      assert.equal(config.status, 204, config.text);

      const secrets = [pgPassword, root, ...keys, kvSecret, dbPassword];
      const pid = server.process.pid!;
      const tree = await processTree(pid);
      for (const member of tree) {
        const cmdline = await readFile(`/proc/${member}/cmdline`, 'utf8').catch(() => '');
        assertNoCanary(cmdline.replaceAll('\0', ' '), secrets, `/proc/${member}/cmdline`);
      }
      // Coffer's own helpers (prlimit, at start) have exited; nothing else runs under the server.
      assert.deepEqual(tree, [pid], 'the server keeps no helper process running');
      // Coffer has no sanitized config read yet; whatever answers must not carry the storage password.
      const sanitized = await server.api('GET', 'sys/config/state/sanitized', undefined, root);
      assertNoCanary(sanitized.text, secrets, 'sys/config/state/sanitized');
      assertNoCanary(server.output(), secrets, 'the server output');
    } finally {
      await server.stop();
      await removeServerDir(server);
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.end();
    }
  });
});

// The server below starts with its core limit raised, so that a 0 is its own doing: that needs
// util-linux's prlimit and a hard limit above 0.
const canRaiseCoreLimit = spawnSync('prlimit', ['--core=unlimited', 'true']).status === 0;

describe('K5: cores and inspector', {
  skip: !canRaiseCoreLimit && 'prlimit is missing or the hard core limit is 0 here',
}, () => {
  let dir: string;
  let child: ReturnType<typeof spawn>;
  let output = '';
  let address: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-e2e-'));
    const configFile = join(dir, 'coffer.hcl');
    await writeFile(
      configFile,
      'storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\nlog_level = "warn"\n',
    );
    child = spawn('prlimit', ['--core=unlimited', process.execPath, BIN, 'server', `-config=${configFile}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    watchOutput('the K5 server', () => output);
    address = await until('the server to listen', () => /Listener: (http\S+)/.exec(output)?.[1]);
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('the launcher really raises the core limit (control)', () => {
    const run = spawnSync('prlimit', ['--core=unlimited', 'cat', '/proc/self/limits'], { encoding: 'utf8' });
    assert.match(run.stdout, /^Max core file size\s+unlimited\s+unlimited/m);
  });

  test('the server sets its own core file size limit to 0', async () => {
    // Set before the listener opens, so already in place once the server prints its address.
    const limits = await readFile(`/proc/${child.pid}/limits`, 'utf8');
    assert.match(limits, /^Max core file size\s+0\s+0\s/m);
  });

  test('without prlimit the server still starts, and warns that the limit is not set', async () => {
    const started = await spawnServer([`-config=${join(dir, 'coffer.hcl')}`], { PATH: join(dir, 'empty') });
    try {
      await until('the warning', () => (/core file size limit/.test(started.output()) ? true : undefined));
      assert.match(started.output(), /\[WARN\].*could not set the core file size limit to 0.*LimitCORE=0/);
    } finally {
      const exited = new Promise((resolve) => started.child.once('exit', resolve));
      started.child.kill('SIGTERM');
      await exited;
    }
  });

  test('SIGUSR1 opens no inspector and the server keeps serving', async () => {
    const pid = child.pid!;
    const before = await listeningSockets(pid);
    assert.equal(before.length, 1, `one listener before the signal: ${before}`);
    process.kill(pid, 'SIGUSR1');
    // Either the server's note or Node's inspector banner shows that the signal was handled.
    await until('the signal to be handled', () =>
      /SIGUSR1 received|Debugger listening|Starting inspector/.test(output) ? true : undefined,
    );
    assert.doesNotMatch(output, /Debugger listening|Starting inspector/);
    assert.deepEqual(await listeningSockets(pid), before, 'a new listening socket appeared');
    const loopback9229 = '0100007F:240D';
    assert.equal((await listeningSockets(pid)).includes(loopback9229), false);
    const status: ApiResult = await api(address, 'GET', 'sys/seal-status');
    assert.equal(status.status, 200, status.text);
  });
});

describe('K2: error echo', () => {
  let server: TestServer;
  let root: string;
  const secrets: string[] = [];
  const bodies: string[] = [];
  let auditFile: string;

  /** A request carrying secrets that must fail: its body is kept for the sweep at the end. */
  async function refused(method: string, path: string, body: unknown, headers?: Record<string, string>) {
    const res = await server.api(method, path, body, root, headers);
    assert.ok(res.status >= 400, `${method} ${path} answered ${res.status}: ${res.text}`);
    bodies.push(res.text);
    return res;
  }

  before(async () => {
    server = await startTestServer();
    root = server.rootToken;
    auditFile = join(server.dir, 'audit.log');
    const audit = await server.api(
      'PUT',
      'sys/audit/file',
      { type: 'file', options: { file_path: auditFile } },
      root,
    );
    assert.equal(audit.status, 204, audit.text);
    assert.equal((await server.api('POST', 'sys/mounts/kv', { type: 'kv-v2' }, root)).status, 204);
    assert.equal((await server.api('POST', 'sys/mounts/database', { type: 'database' }, root)).status, 204);
    await until('the kv-v2 mount', async () =>
      (await server.api('POST', 'kv/data/ready', { data: { ok: 'yes' } }, root)).status === 200
        ? true
        : undefined,
    );
  });

  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('malformed KV-v2 writes name the problem but echo no value', async () => {
    const c = () => {
      const value = canary();
      secrets.push(value);
      return value;
    };
    await refused('POST', 'kv/data/a', { data: c() });
    await refused('POST', 'kv/data/a', { data: [c()] });
    await refused('POST', 'kv/data/a', { data: { password: c() }, options: c() });
    await refused('POST', 'kv/data/a', { data: { password: c() }, options: { cas: c() } });
    await refused('POST', 'kv/data/a', { data: { password: c() }, options: { cas: 7 } });
    await refused('POST', 'kv/data/a', `{"data": {"password": "${c()}"`);
    await refused('POST', 'kv/data/a', `data=${c()}`, {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    await refused(
      'PATCH',
      'kv/data/missing',
      { data: { password: c() } },
      {
        'Content-Type': 'application/merge-patch+json',
      },
    );
    await refused(
      'PATCH',
      'kv/data/ready',
      { data: { password: c() } },
      { 'Content-Type': 'application/json' },
    );
    await refused('POST', 'kv/metadata/a', { max_versions: c() });
    await refused('POST', 'kv/metadata/a', { delete_version_after: c() });
    await refused('POST', 'kv/metadata/a', { cas_required: c() });
    await refused('POST', 'kv/metadata/a', { custom_metadata: { note: { nested: c() } } });
    await refused('POST', 'kv/config', { max_versions: c(), cas_required: c() });
    await refused('POST', 'kv/delete/a', { versions: [c()] });
    await refused('POST', 'kv/destroy/a', { versions: c() });
    for (const body of bodies) assertNoCanary(body, secrets, 'an error body');
  });

  test('a database connection to a wrong address fails without its password; reads mask it', async () => {
    const pgPassword = canary();
    const dsnPassword = canary();
    const fieldPassword = canary();
    secrets.push(pgPassword, dsnPassword, fieldPassword);
    const pgUrl = `postgresql://user:${pgPassword}@127.0.0.1:1/db`;
    await refused('POST', 'database/config/pg', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: pgUrl,
      allowed_roles: '*',
    });
    await refused('POST', 'database/config/pgfields', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/db',
      username: 'user',
      password: fieldPassword,
    });
    await refused('POST', 'database/config/my', {
      plugin_name: 'mysql-database-plugin',
      connection_url: `user:${dsnPassword}@tcp(127.0.0.1:1)/`,
    });
    // A server that answers, and refuses the password (MariaDB's root here has none).
    await refused('POST', 'database/config/mariadb', {
      plugin_name: 'mysql-database-plugin',
      connection_url: `root:${dsnPassword}@tcp(127.0.0.1:3306)/`,
    });
    // Stored without a check, then used: issuing and rotating fail, and say nothing of the password.
    const stored = await server.api(
      'POST',
      'database/config/pg',
      {
        plugin_name: 'postgresql-database-plugin',
        connection_url: pgUrl,
        allowed_roles: '*',
        verify_connection: false,
      },
      root,
    );
    assert.equal(stored.status, 200, stored.text);
    assert.match(stored.text, /Password found in connection_url/);
    const role = await server.api(
      'POST',
      'database/roles/app',
      { db_name: 'pg', creation_statements: 'CREATE ROLE "{{name}}" LOGIN PASSWORD \'{{password}}\';' },
      root,
    );
    assert.equal(role.status, 204, role.text);
    await refused('GET', 'database/creds/app', undefined);
    const fields = await server.api(
      'POST',
      'database/config/pgfields',
      {
        plugin_name: 'postgresql-database-plugin',
        connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/db',
        username: 'user',
        password: fieldPassword,
        verify_connection: false,
      },
      root,
    );
    assert.equal(fields.status, 204, fields.text);
    await refused('POST', 'database/rotate-root/pgfields', {});
    const fieldsRead = await server.api('GET', 'database/config/pgfields', undefined, root);
    assert.equal(fieldsRead.body.data.connection_details.password, undefined);
    assertNoCanary(fieldsRead.text, secrets, 'the config read');

    const read = await server.api('GET', 'database/config/pg', undefined, root);
    assert.equal(read.status, 200, read.text);
    // Masked as Vault's config read masks it today (Go's url.Redacted; Vault before 1.5 wrote *****).
    assert.equal(read.body.data.connection_details.connection_url, 'postgresql://user:xxxxx@127.0.0.1:1/db');
    assertNoCanary(read.text, secrets, 'the config read');
    for (const body of bodies) assertNoCanary(body, secrets, 'an error body');
  });

  test('the audit log and the server output hold none of the canaries', async () => {
    assert.ok(secrets.length > 20);
    assertNoCanary(await readFile(auditFile, 'utf8'), secrets, 'the audit log');
    assertNoCanary(server.output(), secrets, 'the server output');
  });
});
