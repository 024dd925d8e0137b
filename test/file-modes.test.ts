/**
 * K4 (CVE-2021-38553): under umask 000, every file the server or the CLI creates that holds key
 * material is 0600 and every directory it creates is 0700. Covered: the sqlite store and its WAL, a
 * file audit device (and the directories it creates, and the file it reopens on SIGHUP), dev mode's
 * token file and the CLI's token helper. The server writes no TLS key (it only reads the configured
 * ones) and no listener or agent binds a unix socket (the socket audit device only connects to one),
 * so there is nothing of those to check.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { eventually } from './helpers/eventually.js';
import {
  BIN,
  removeServerDir,
  restartOnSameStorage,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

const servers: TestServer[] = [];
const dirs: string[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  for (const server of servers) await removeServerDir(server);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function assertMode(path: string, expected: number): Promise<void> {
  assert.equal((await modeOf(path)).toString(8), expected.toString(8), `mode of ${path}`);
}

/** Polls (a loaded CI machine may be slow to flush or reopen) until `check` holds, for up to 30 s. */
/** The test means nothing unless the server really runs under umask 000: read it back from procfs. */
async function assertUmaskZero(server: TestServer): Promise<void> {
  const status = await readFile(`/proc/${server.process.pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return; // no procfs: the shell's `umask 000` is trusted
  assert.match(status, /^Umask:\s+0000$/m, 'the server runs under umask 000');
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

test('under umask 000: the sqlite store, its WAL and a file audit device are 0600, created directories 0700', async () => {
  const server = await startTestServer({ storage: 'sqlite', umask: 0 });
  servers.push(server);
  await assertUmaskZero(server);
  const token = server.rootToken;
  assert.equal((await server.api('POST', 'sys/mounts/kv', { type: 'kv' }, token)).status, 204);
  assert.equal((await server.api('POST', 'kv/app', { password: 'p' }, token)).status, 204);

  // The server's whole own output in its directory: the store and its WAL (no -shm: exclusive mode).
  const store = join(server.dir, 'coffer.db');
  const created = (await readdir(server.dir)).filter((name) => name !== 'coffer.hcl'); // coffer.hcl is the test's
  assert.ok(created.includes('coffer.db'), `files: ${created}`);
  for (const name of created) await assertMode(join(server.dir, name), 0o600);

  // An audit file two directories below ones that do not exist yet: the server makes them.
  const auditDir = join(server.dir, 'audit');
  const auditFile = join(auditDir, 'nested', 'audit.log');
  const enable = await server.api(
    'PUT',
    'sys/audit/file',
    { type: 'file', options: { file_path: auditFile } },
    token,
  );
  assert.equal(enable.status, 204, enable.text);
  assert.equal((await server.api('GET', 'kv/app', undefined, token)).status, 200);
  const logged = async () => (await readFile(auditFile, 'utf8')).includes('kv/app');
  await eventually(logged, 30_000, 'the audit line');
  await assertMode(auditDir, 0o700);
  await assertMode(join(auditDir, 'nested'), 0o700);
  await assertMode(auditFile, 0o600);

  // Log rotation: the file is moved away and the server reopens it on SIGHUP; the new one is 0600 too.
  await rename(auditFile, `${auditFile}.1`);
  server.process.kill('SIGHUP');
  const reopened = async () => {
    await server.api('GET', 'kv/app', undefined, token);
    return exists(auditFile);
  };
  await eventually(reopened, 30_000, 'the reopened audit file');
  await assertMode(auditFile, 0o600);
  await assertMode(`${auditFile}.1`, 0o600);

  await server.stop();
  await assertMode(store, 0o600);

  // A store left world-readable (an older version, a copy) is narrowed to 0600 when it is opened.
  await chmod(store, 0o644);
  const again = await restartOnSameStorage(server, { umask: 0 });
  servers.push(again);
  await assertUmaskZero(again);
  await assertMode(store, 0o600);
  await again.unseal();
  assert.equal((await again.api('POST', 'kv/app2', { password: 'q' }, token)).status, 204);
  for (const name of (await readdir(server.dir)).filter((n) => n.startsWith('coffer.db')))
    await assertMode(join(server.dir, name), 0o600);
});

test('under umask 000: dev mode writes its root token file 0600', async () => {
  const server = await startTestServer({ dev: true, umask: 0 });
  servers.push(server);
  await assertUmaskZero(server);
  const tokenFile = join(server.dir, 'vault-token');
  await eventually(() => exists(tokenFile), 30_000, 'the token file');
  await assertMode(tokenFile, 0o600);
  assert.equal(await readFile(tokenFile, 'utf8'), server.rootToken);
});

test('under umask 000: `coffer login` stores the token 0600', async () => {
  const server = await startTestServer({ storage: 'inmem', umask: 0 });
  servers.push(server);
  const dir = await mkdtemp(join(tmpdir(), 'coffer-k4-'));
  dirs.push(dir);
  const tokenFile = join(dir, 'vault-token');
  const child = spawn('/bin/sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN, 'login', '-'], {
    env: { ...process.env, VAULT_ADDR: server.address, COFFER_TOKEN_PATH: tokenFile },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  child.stdin.end(`${server.rootToken}\n`);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, output);
  await assertMode(tokenFile, 0o600);
  assert.equal(await readFile(tokenFile, 'utf8'), server.rootToken);
  // No other file (the helper's temporary one) was left behind.
  assert.deepEqual(await readdir(dir), ['vault-token']);
});
