/** The broker: device table and salts in storage, `sys/audit-hash`, and fail-closed fan-out with canary scans. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CofferError } from '../core/errors.js';
import { FakeClock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';
import { StorageView } from '../framework/storage-view.js';
import { InmemBackend } from '../storage/inmem.js';
import { AuditBroker, type AuditBrokerDeps } from './broker.js';
import type { AuditResponseInput } from './entry.js';
import { hmacValue } from './hash.js';

let dir: string;
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-audit-broker-'));
});
const brokers: AuditBroker[] = [];
after(async () => {
  for (const broker of brokers) await broker.closeAll();
  await rm(dir, { recursive: true, force: true });
});
const freshPath = () => join(dir, `audit-${++files}.log`);
const readLines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
const readEntries = async (path: string) => (await readLines(path)).map((l) => JSON.parse(l));

function recordingLogger(): Logger & { records: { message: string; fields?: Record<string, unknown> }[] } {
  const records: { message: string; fields?: Record<string, unknown> }[] = [];
  const push = (message: string, fields?: Record<string, unknown>) => records.push({ message, fields });
  const log = { records, debug: push, info: push, warn: push, error: push, child: () => log };
  return log;
}

function newBroker(extra: Partial<AuditBrokerDeps> = {}, backend = new InmemBackend()) {
  const log = recordingLogger();
  const storage = new StorageView(backend, 'sys/audit-state/');
  const broker = new AuditBroker({ storage, log, clock: new FakeClock(Date.UTC(2024, 4, 1)), ...extra });
  brokers.push(broker);
  return { broker, log, storage, backend };
}

const file = (path: string, options: Record<string, string> = {}) => ({
  type: 'file',
  description: 'audit file',
  options: { file_path: path, ...options },
  local: false,
});

const is400 = (message: RegExp) => (err: unknown) =>
  err instanceof CofferError && err.status === 400 && message.test(err.message);
const is500 = (err: unknown) =>
  err instanceof CofferError && err.status === 500 && err.message === 'internal error';

const kvRead = (id: string) => ({
  requestId: id,
  operation: 'read',
  path: 'secret/data/app',
  clientToken: 'hvs.x',
});

test('enable writes a test entry, stores a salt and lists the device in the sys/audit shape', async () => {
  const { broker, storage } = newBroker();
  const path = freshPath();
  await broker.enable('file', file(path));
  assert.deepEqual(broker.list(), {
    'file/': {
      type: 'file',
      description: 'audit file',
      options: { file_path: path },
      local: false,
      path: 'file/',
    },
  });
  assert.equal(broker.hasDevices(), true);
  const [probe] = await readEntries(path);
  assert.equal(probe.request.path, 'sys/audit/test');
  const salts = await storage.list('salt/');
  assert.equal(salts.length, 1);
  const { salt } = (await storage.getJson<{ salt: string }>(`salt/${salts[0]}`))!;
  assert.match(salt, /^[0-9a-f-]{36}$/);
  assert.equal(await broker.hash('file/', 'secret'), hmacValue(salt, 'secret'));
});

const refusals: { name: string; config: Parameters<AuditBroker['enable']>[1]; message: RegExp }[] = [
  {
    name: 'an unknown type',
    config: { ...file('x'), type: 'syslog' },
    message: /^unknown backend type: "syslog"$/,
  },
  {
    name: 'a file device without file_path',
    config: { ...file('x'), options: {} },
    message: /^file_path is required$/,
  },
  {
    name: 'format jsonx',
    config: file('x', { format: 'jsonx' }),
    message: /jsonx formatting has been removed/,
  },
  { name: 'a bad boolean', config: file('x', { log_raw: 'yes' }), message: /ParseBool: parsing "yes"/ },
  {
    name: 'prefix without server opt-in',
    config: file('x', { prefix: '#' }),
    message: /prefixing is not allowed/,
  },
  {
    name: 'a socket without address',
    config: { ...file('x'), type: 'socket' },
    message: /^address is required$/,
  },
];
for (const r of refusals) {
  test(`enable refuses ${r.name} with a 400`, async () => {
    const { broker } = newBroker();
    await assert.rejects(broker.enable('a', r.config), is400(r.message));
    assert.deepEqual(broker.list(), {});
  });
}

test('a path in use, or nested in or around one, is refused', async () => {
  const { broker } = newBroker();
  await broker.enable('file/', file(freshPath()));
  for (const path of ['file', 'file/x', '/file/']) {
    await assert.rejects(broker.enable(path, file(freshPath())), is400(/^path already in use$/));
  }
  await broker.enable('files', file(freshPath()));
});

test('a device whose test write fails is refused and leaves no salt behind', async () => {
  const { broker, storage } = newBroker();
  await assert.rejects(
    broker.enable('sock', { ...file('x'), type: 'socket', options: { address: '127.0.0.1:1' } }),
    is400(/failed test message/),
  );
  assert.deepEqual(await storage.list('salt/'), []);
  assert.equal(broker.hasDevices(), false);
});

test('audit-hash: empty input and unknown devices are 400s', async () => {
  const { broker } = newBroker();
  await broker.enable('file', file(freshPath()));
  await assert.rejects(broker.hash('file', ''), is400(/^the "input" parameter is empty$/));
  await assert.rejects(broker.hash('nope', 'x'), is400(/^unknown audit backend "nope\/"$/));
});

test('disable discards the salt; enabling again hashes differently; disabling nothing is fine', async () => {
  const { broker, storage } = newBroker();
  await broker.enable('file', file(freshPath()));
  const first = await broker.hash('file', 'x');
  await broker.disable('file/');
  assert.deepEqual(await storage.list('salt/'), []);
  assert.deepEqual(broker.list(), {});
  assert.equal(broker.hasDevices(), false);
  await broker.enable('file', file(freshPath()));
  assert.notEqual(await broker.hash('file', 'x'), first);
  await broker.disable('never-enabled');
});

test('load restores devices and salts after unseal', async () => {
  const path = freshPath();
  const { broker, backend } = newBroker();
  await broker.enable('file', file(path));
  const hash = await broker.hash('file', 'x');
  await broker.closeAll();

  const restarted = newBroker({}, backend).broker;
  await restarted.load();
  assert.deepEqual(Object.keys(restarted.list()), ['file/']);
  assert.equal(await restarted.hash('file', 'x'), hash);
  await restarted.logRequest(kvRead('after-load'));
  assert.equal((await readEntries(path)).at(-1).request.id, 'after-load');
  await restarted.closeAll();
});

test('load fails when every stored device fails to open', async () => {
  const path = join(dir, 'gone', 'audit.log');
  const { broker, backend } = newBroker();
  await broker.enable('file', file(path));
  await broker.closeAll();
  await rm(join(dir, 'gone'), { recursive: true });
  await mkdir(path, { recursive: true }); // the log path is now a directory
  await assert.rejects(newBroker({}, backend).broker.load(), /failed to setup audit table/);
});

test("both entries of a request carry the same auth and request blocks, each device's own", async () => {
  const [first, second] = [join(dir, 'shared-a.log'), join(dir, 'shared-b.log')];
  const { broker } = newBroker();
  await broker.enable('a', file(first));
  await broker.enable('b', file(second));
  const input = { ...kvRead('shared'), clientTokenAccessor: 'acc-1', auth: { policies: ['default'] } };
  await broker.logRequest(input);
  await broker.logResponse(input, { response: { data: { v: 'secret' } } });
  const [a, b] = [(await readEntries(first)).slice(-2), (await readEntries(second)).slice(-2)];
  for (const [request, response] of [a, b]) {
    assert.deepEqual([request.type, response.type], ['request', 'response']);
    assert.deepEqual(response.auth, request.auth);
    assert.deepEqual(response.request, request.request);
  }
  // Serialized once per device, never shared between devices: each has its own salt.
  assert.equal(a[1].request.client_token, await broker.hash('a', 'hvs.x'));
  assert.equal(b[1].request.client_token, await broker.hash('b', 'hvs.x'));
  assert.notEqual(a[1].request.client_token, b[1].request.client_token);
  await broker.closeAll();
});

test('with no device enabled, requests proceed unaudited', async () => {
  const { broker } = newBroker();
  assert.equal(broker.hasDevices(), false);
  await broker.logRequest(kvRead('r'));
  await broker.logResponse(kvRead('r'), { response: { data: { a: 'b' } } });
});

test('prefix is written when the server opts in', async () => {
  const { broker } = newBroker({ allowPrefix: true });
  const path = freshPath();
  await broker.enable('file', file(path, { prefix: '@cee:' }));
  await broker.logRequest(kvRead('p'));
  for (const line of await readLines(path)) assert.ok(line.startsWith('@cee:{'));
});

/** A TCP peer that accepts and then never reads. */
async function stuckPeer() {
  const held: Socket[] = [];
  const server = createServer((socket) => {
    held.push(socket);
    socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const stop = async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { address: `127.0.0.1:${port}`, stop };
}

test('fail closed: the only device stops accepting writes, so requests get a 500 within write_timeout', async () => {
  const peer = await stuckPeer();
  const { broker, log } = newBroker();
  // log_raw keeps the 1 MiB payload at full size so the peer's buffers fill quickly.
  await broker.enable('sock', {
    ...file('x'),
    type: 'socket',
    options: { address: peer.address, write_timeout: '300ms', log_raw: 'true' },
  });
  const big = { blob: 'x'.repeat(1 << 20) };
  let failure: { error: unknown; ms: number } | undefined;
  for (let i = 0; i < 256 && !failure; i++) {
    const started = Date.now();
    await broker.logRequest({ ...kvRead(`r${i}`), data: big }).catch((error) => {
      failure = { error, ms: Date.now() - started };
    });
  }
  assert.ok(failure, 'the peer never stopped accepting');
  assert.ok(is500(failure.error));
  assert.ok(failure.ms < 1_000, `took ${failure.ms}ms`);
  const logged = log.records.find((r) => r.message.startsWith('audit device failed'));
  assert.deepEqual(logged?.fields?.path, 'sock/');
  assert.ok(!JSON.stringify(log.records).includes('hvs.x'));
  await broker.closeAll();
  await peer.stop();
});

test('fail closed: a single file device swapped for a directory answers 500', async () => {
  const path = freshPath();
  const { broker } = newBroker();
  await broker.enable('file', file(path));
  await rename(path, `${path}.old`);
  await mkdir(path);
  await broker.reopenAll();
  await assert.rejects(broker.logRequest(kvRead('r')), is500);
  await broker.closeAll();
});

test('entries in flight while the only device is disabled do not fail their requests', async () => {
  const { broker, log } = newBroker();
  await broker.enable('only', file(freshPath()));
  // Writes queued now land in the device's batch; the disable closes the device before it is written.
  const inFlight = Array.from({ length: 20 }, (_, i) => broker.logRequest(kvRead(`r${i}`)));
  const disabled = broker.disable('only');
  const outcomes = await Promise.allSettled(inFlight);
  await disabled;
  assert.deepEqual(
    outcomes.filter((o) => o.status === 'rejected'),
    [],
    'no request refused for a device that was being disabled',
  );
  assert.ok(!log.records.some((r) => r.message.startsWith('audit device failed')), 'not logged as a failure');
  await broker.logRequest(kvRead('after'));
});

test('with two devices, one failing, requests pass and the healthy log has every entry', async () => {
  const peer = await stuckPeer();
  const path = freshPath();
  const { broker } = newBroker();
  await broker.enable('file', file(path));
  await broker.enable('sock', {
    ...file('x'),
    type: 'socket',
    options: { address: peer.address, write_timeout: '200ms' },
  });
  await peer.stop(); // the socket device now has nobody to talk to
  for (let i = 0; i < 3; i++) {
    await broker.logRequest(kvRead(`ok${i}`));
    await broker.logResponse(kvRead(`ok${i}`), { response: { data: { v: 1 } } });
  }
  const entries = (await readEntries(path)).slice(1);
  assert.deepEqual(
    entries.map((e) => `${e.type}:${e.request.id}`),
    ['request:ok0', 'response:ok0', 'request:ok1', 'response:ok1', 'request:ok2', 'response:ok2'],
  );
  await broker.closeAll();
});

const CANARIES = {
  password: 'canary-password-7f3a91',
  nested: 'canary-nested-c02d44',
  inArray: 'canary-array-5be812',
  token: 'hvs.CANARYtoken0c9f1e',
  accessor: 'canary-accessor-aa71d0',
  newToken: 'hvs.CANARYnewtoken3e2a',
  newAccessor: 'canary-newaccessor-91bb',
  wrapToken: 'hvs.CANARYwrap77d1',
  wrapAccessor: 'canary-wrapaccessor-2c4e',
  wrappedAccessor: 'canary-wrapped-6d0f',
  responseSecret: 'canary-response-e4c9b2',
  header: 'hvs.CANARYheader18ab',
};

test('canary scan: no secret appears in the log in clear, base64 or hex, and audit-hash finds each one', async () => {
  const path = freshPath();
  const { broker } = newBroker();
  await broker.enable('file', file(path));
  const input: AuditResponseInput = {
    requestId: 'canary',
    operation: 'update',
    path: 'secret/data/app',
    data: {
      data: { password: CANARIES.password, deep: { x: [{ y: CANARIES.nested }] } },
      list: [[CANARIES.inArray]],
      n: 7,
    },
    clientToken: CANARIES.token,
    clientTokenAccessor: CANARIES.accessor,
    auth: { policies: ['default'], metadata: { username: 'alice' } },
    headers: { 'x-vault-token': [CANARIES.header] },
    response: {
      data: { value: CANARIES.responseSecret, ok: true },
      auth: { clientToken: CANARIES.newToken, accessor: CANARIES.newAccessor },
      wrapInfo: {
        token: CANARIES.wrapToken,
        accessor: CANARIES.wrapAccessor,
        ttl: 60,
        creationTime: '2024-05-01T10:00:00Z',
        creationPath: 'secret/data/app',
        wrappedAccessor: CANARIES.wrappedAccessor,
      },
    },
  };
  await broker.logRequest(input);
  await broker.logResponse(input, { response: input.response });
  const text = await readFile(path, 'utf8');
  for (const [name, canary] of Object.entries(CANARIES)) {
    for (const form of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')])
      assert.ok(!text.includes(form), `${name} leaked as ${form}`);
    assert.ok(text.includes(await broker.hash('file', canary)), `${name} is not findable through audit-hash`);
  }
  const [, request, response] = await readEntries(path);
  assert.equal(request.request.data.n, 7);
  assert.equal(response.response.data.ok, true);
  await broker.closeAll();
});

test('data nested 400 deep is logged without a stack overflow', async () => {
  const path = freshPath();
  const { broker } = newBroker();
  await broker.enable('file', file(path));
  let data: Record<string, unknown> = { leaf: 'bottom' };
  for (let i = 0; i < 400; i++) data = i % 2 ? { k: data } : { a: [data] };
  await broker.logRequest({ ...kvRead('deep'), data });
  const line = (await readLines(path)).at(-1)!;
  assert.ok(line.includes(await broker.hash('file', 'bottom')));
  assert.ok(!line.includes('"bottom"'));
  await broker.closeAll();
});
