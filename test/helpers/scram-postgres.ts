/**
 * A throwaway PostgreSQL cluster on a free port that requires scram-sha-256 passwords for every
 * user but its own superuser, so a test can prove that a password works (the shared server on
 * 5432 trusts everyone, where a login proves nothing). Run as `postgres` when the test is root.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ScramCluster {
  port: number;
  /** Runs SQL as the cluster's superuser (trusted over TCP for `postgres` only). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** True when the user can log in with the password; false on any authentication refusal. */
  canLogin(user: string, password: string): Promise<boolean>;
  /** A session logged in as the user, for the caller to end; an error on an ended session is ignored. */
  connectAs(user: string, password: string): Promise<pg.Client>;
  roleExists(user: string): Promise<boolean>;
  /** What the cluster has logged so far (its stderr, with every statement a role set to log). */
  logText(): Promise<string>;
  /** A password-authenticated superuser for Coffer to connect as. */
  createAdmin(prefix?: string): Promise<{ username: string; password: string }>;
  stop(): Promise<void>;
}

const AUTH_FAILURES = new Set(['28P01', '28000']);

export async function startScramCluster(): Promise<ScramCluster> {
  const bin = binDir();
  const dir = await mkdtemp(join(tmpdir(), 'coffer-pg-'));
  const asRoot = process.getuid?.() === 0;
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  await writeFile(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all postgres 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  await exec('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start']);

  const admin = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 4 });
  admin.on('error', () => undefined);
  const cluster: ScramCluster = {
    port,
    query: (sql, params) => admin.query(sql, params),
    async canLogin(user, password) {
      let client: pg.Client | undefined;
      try {
        client = await cluster.connectAs(user, password);
        await client.query('SELECT 1');
        return true;
      } catch (error) {
        if (AUTH_FAILURES.has((error as { code?: string }).code ?? '')) return false;
        throw error;
      } finally {
        await client?.end().catch(() => undefined);
      }
    },
    async connectAs(user, password) {
      const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    },
    async roleExists(user) {
      const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      return found.rowCount === 1;
    },
    logText: () => readFile(join(dir, 'log'), 'utf8'),
    async createAdmin(prefix = 'coffer_admin') {
      const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
      const password = `Adm1n-${Math.random().toString(36).slice(2)}`;
      await admin.query(
        `CREATE ROLE ${pg.escapeIdentifier(username)} SUPERUSER LOGIN PASSWORD ${pg.escapeLiteral(password)}`,
      );
      return { username, password };
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
