/** The socket device against real local peers: TCP, unix and UDP, and peers that stop reading or never answer. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CofferError } from '../../core/errors.js';
import { deviceConformance } from './conformance.js';
import { SocketDevice } from './socket.js';

/**
 * Splits what a peer receives into lines and wakes whoever waits for a count. A line is cut per
 * connection (`from`): half a line left on one connection must not join the next connection's.
 */
export class LineCollector {
  readonly lines: string[] = [];
  private readonly partial = new Map<object, string>();
  private waiters: { count: number; resolve: (lines: string[]) => void }[] = [];

  push(chunk: Buffer | string, from: object = this): void {
    const parts = ((this.partial.get(from) ?? '') + chunk.toString()).split('\n');
    this.partial.set(from, parts.pop() ?? '');
    this.lines.push(...parts);
    const ready = this.waiters.filter((w) => this.lines.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.lines.length < w.count);
    for (const w of ready) w.resolve([...this.lines]);
  }

  /** Resolves with every line once `count` have arrived; a test timeout catches a line that never comes. */
  wait(count: number): Promise<string[]> {
    if (this.lines.length >= count) return Promise.resolve([...this.lines]);
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

interface Peer {
  server: Server;
  collector: LineCollector;
  connections: Socket[];
  /** While false, accepted connections are paused: the kernel buffers fill and writes stop completing. */
  reading: boolean;
}

function startPeer(listen: (server: Server) => void): Promise<Peer> {
  const peer: Peer = {
    server: createServer(),
    collector: new LineCollector(),
    connections: [],
    reading: true,
  };
  peer.server.on('connection', (socket) => {
    peer.connections.push(socket);
    socket.on('error', () => undefined);
    if (!peer.reading) socket.pause();
    socket.on('data', (chunk) => peer.collector.push(chunk, socket));
  });
  return new Promise((resolve) => {
    peer.server.once('listening', () => resolve(peer));
    listen(peer.server);
  });
}

/** Fails instead of hanging, so the finally blocks still close sockets and the file can exit. */
function within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function stopPeer(peer: Peer): Promise<void> {
  for (const socket of peer.connections) socket.destroy();
  await new Promise((resolve) => peer.server.close(resolve));
}

const tcpAddress = (peer: Peer) => {
  const address = peer.server.address();
  assert.ok(address && typeof address === 'object');
  return `127.0.0.1:${address.port}`;
};

let dir: string;
let sockets = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-audit-sock-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

deviceConformance('socket (tcp)', async (options = {}) => {
  const peer = await startPeer((s) => s.listen(0, '127.0.0.1'));
  const device = SocketDevice.create({ address: tcpAddress(peer), ...options });
  return {
    device,
    lines: (count) => peer.collector.wait(count),
    cleanup: async () => {
      await device.close();
      await stopPeer(peer);
    },
  };
});

deviceConformance('socket (unix)', async (options = {}) => {
  const path = join(dir, `audit-${++sockets}.sock`);
  const peer = await startPeer((s) => s.listen(path));
  const device = SocketDevice.create({ address: path, socket_type: 'unix', ...options });
  return {
    device,
    lines: (count) => peer.collector.wait(count),
    cleanup: async () => {
      await device.close();
      await stopPeer(peer);
    },
  };
});

test('udp: each entry is one datagram ending in a newline', async () => {
  const server = createSocket('udp4');
  const received: string[] = [];
  const got = new Promise<void>((resolve) =>
    server.on('message', (msg) => {
      received.push(msg.toString());
      if (received.length === 2) resolve();
    }),
  );
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const device = SocketDevice.create({ address: `127.0.0.1:${server.address().port}`, socket_type: 'udp' });
  await device.write('{"n":1}');
  await device.write('{"n":2}');
  await got;
  assert.deepEqual(received, ['{"n":1}\n', '{"n":2}\n']);
  await device.close();
  server.close();
});

test('a peer that accepts but never reads: the write fails within write_timeout, then the device reconnects', async () => {
  const peer = await startPeer((s) => s.listen(0, '127.0.0.1'));
  peer.reading = false;
  const device = SocketDevice.create({ address: tcpAddress(peer), write_timeout: '300ms' });
  // Cleanup runs even when an assertion fails: an open peer would keep the test file from ever exiting.
  try {
    const line = 'x'.repeat(1 << 20);
    let failedAfter: number | undefined;
    let writes = 0;
    for (; writes < 256 && failedAfter === undefined; writes++) {
      const started = Date.now();
      await device.write(line).catch((err: Error) => {
        assert.match(err.message, /timed out after 300ms/);
        failedAfter = Date.now() - started;
      });
    }
    assert.ok(failedAfter !== undefined, 'the kernel buffers never filled');
    // Generous bound: without the timeout the write would never settle; a loaded CI box is slow.
    assert.ok(failedAfter < 5_000, `failed after ${failedAfter}ms`);

    // Writes queued behind a stuck one fail on their own deadline rather than one after another.
    peer.collector.lines.length = 0;
    const started = Date.now();
    const burst = Array.from({ length: writes + 4 }, () => device.write(line));
    const results = await Promise.allSettled(burst);
    assert.ok(results.some((r) => r.status === 'rejected'));
    assert.ok(Date.now() - started < 5_000, `${burst.length} stuck writes took ${Date.now() - started}ms`);

    // Connections accepted during the burst were paused too, and the device may still be writing to
    // one of them (a burst write that fitted in its buffers): every one reads from now on.
    peer.reading = true;
    for (const socket of peer.connections) socket.resume();
    await device.write('{"after":"reset"}');
    // The peer's accept event can run after the write settles: wait for the line before counting.
    // Burst writes that got through on a reading connection may arrive first; skip past them.
    const sawReset = async () => {
      for (let count = 1; !(await peer.collector.wait(count)).includes('{"after":"reset"}'); count++);
    };
    await within(20_000, sawReset(), 'the line after the reset never arrived');
    // The connection that got stuck was dropped when its write timed out: the device reconnected.
    assert.ok(peer.connections.length > 1, 'the device opened a new connection after the stuck one');
  } finally {
    await device.close();
    await stopPeer(peer);
  }
});
test('a peer that went away is reconnected to once it is back', async () => {
  const peer = await startPeer((s) => s.listen(0, '127.0.0.1'));
  const address = tcpAddress(peer);
  const device = SocketDevice.create({ address, write_timeout: '1s' });
  await device.write('one');
  await stopPeer(peer);
  await assert.rejects(device.write('lost'));
  const port = Number(address.split(':')[1]);
  const again = await startPeer((s) => s.listen(port, '127.0.0.1'));
  await device.write('two');
  assert.deepEqual(await again.collector.wait(1), ['two']);
  await device.close();
  await stopPeer(again);
});

const refusals: { options: Record<string, string>; message: RegExp }[] = [
  { options: {}, message: /^address is required$/ },
  { options: { address: 'localhost' }, message: /missing port in address/ },
  { options: { address: 'x:1', socket_type: 'sctp' }, message: /unknown socket_type "sctp"/ },
  { options: { address: 'x:1', write_timeout: 'soon' }, message: /invalid duration/ },
  { options: { address: 'x:1', write_timeout: '0s' }, message: /greater than zero/ },
];
for (const r of refusals) {
  test(`options ${JSON.stringify(r.options)} are refused with a 400`, () => {
    assert.throws(
      () => SocketDevice.create(r.options),
      (err: unknown) => err instanceof CofferError && err.status === 400 && r.message.test(err.message),
    );
  });
}

test('write_timeout takes Vault durations: bare seconds or Go units', () => {
  assert.equal(SocketDevice.create({ address: 'x:1' }).timeoutMs, 2000);
  assert.equal(SocketDevice.create({ address: 'x:1', write_timeout: '5' }).timeoutMs, 5000);
  assert.equal(SocketDevice.create({ address: 'x:1', write_timeout: '1m30s' }).timeoutMs, 90_000);
  assert.equal(SocketDevice.create({ address: 'x:1', write_timeout: '250ms' }).timeoutMs, 250);
});
