import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeCertificate } from '../auth/kubernetes/testing.js';
import { startListener } from './listener.js';
import type { AgentListenerConfig } from './listener-config.js';

const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-listener-'));
after(() => rm(dir, { recursive: true, force: true }));

const base: AgentListenerConfig = {
  type: 'tcp',
  address: '127.0.0.1:0',
  tlsDisable: true,
  requireRequestHeader: false,
  socketMode: 0o600,
  maxRequestBytes: 1024,
};
const hello = (_req: unknown, res: { end(text: string): void }) => res.end('hello');

/** The body of the response to the request `send` makes. */
function bodyOf(send: (done: (res: http.IncomingMessage) => void) => http.ClientRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    send((res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

test('a tcp listener with TLS serves HTTPS with the configured certificate', async () => {
  const { certPem, keyPem } = await makeCertificate();
  await writeFile(join(dir, 'cert.pem'), certPem);
  await writeFile(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
  const listener = await startListener(
    { ...base, tlsDisable: false, tlsCertFile: join(dir, 'cert.pem'), tlsKeyFile: join(dir, 'key.pem') },
    hello,
  );
  try {
    assert.match(listener.address, /^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await bodyOf((done) => https.get(listener.address, { ca: certPem }, done));
    assert.equal(body, 'hello');
  } finally {
    await listener.close();
  }
});

test('a unix socket gets its configured mode whatever the umask, replaces a stale socket, and is removed on close', async () => {
  const path = join(dir, 'agent.sock');
  // A socket left by a process that died: bound, then its server closed without unlinking.
  const stale = createServer();
  await new Promise<void>((resolve) => stale.listen(path, resolve));
  const previous = process.umask(0);
  try {
    const listener = await startListener({ ...base, type: 'unix', address: path, socketMode: 0o660 }, hello);
    assert.equal((await stat(path)).mode & 0o777, 0o660);
    await listener.close();
    await assert.rejects(stat(path), { code: 'ENOENT' });
  } finally {
    process.umask(previous);
    stale.close();
  }
});

test('a regular file at the socket path is left alone and refused', async () => {
  const path = join(dir, 'not-a-socket');
  await writeFile(path, 'keep me');
  await assert.rejects(
    startListener({ ...base, type: 'unix', address: path }, hello),
    /exists and is not a socket/,
  );
  assert.ok((await stat(path)).isFile());
});

test('binding a unix socket never changes the process umask (other parts write files meanwhile)', async () => {
  const path = join(dir, 'umask.sock');
  const original = process.umask;
  const changes: number[] = [];
  process.umask = ((mask?: number | string) => {
    if (mask !== undefined) changes.push(Number(mask));
    return mask === undefined ? (original as () => number).call(process) : original.call(process, mask);
  }) as typeof process.umask;
  let listener: Awaited<ReturnType<typeof startListener>> | undefined;
  try {
    listener = await startListener({ ...base, type: 'unix', address: path }, hello);
  } finally {
    process.umask = original;
  }
  try {
    assert.deepEqual(changes, []);
    const info = await stat(path);
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o600);
    const body = await bodyOf((done) => http.get({ socketPath: path, path: '/' }, done));
    assert.equal(body, 'hello');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.')),
      [],
      'no staging directory is left behind',
    );
  } finally {
    await listener?.close();
  }
  await assert.rejects(stat(path), { code: 'ENOENT' });
});
