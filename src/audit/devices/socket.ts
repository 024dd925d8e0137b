/** The `socket` audit device: JSON lines over TCP, UDP or a unix socket, each write bounded by `write_timeout`. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, isIPv6, type Socket } from 'node:net';
import { invalid } from '../../core/errors.js';
import { type DeviceOptions, parseDurationMs, parsePrefix } from '../options.js';
import { type AuditDevice, Serial } from './device.js';

type Endpoint =
  | { kind: 'stream'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'udp'; host: string; port: number; family: 'udp4' | 'udp6' };

/** One connection attempt; `send` settles when the data has been handed to the kernel. */
interface Connection {
  readonly ready: Promise<void>;
  send(data: Buffer): Promise<void>;
  /** Also aborts a connect still in progress (a blackholed address would otherwise linger for minutes). */
  destroy(): void;
}

const STREAM_TYPES = new Set(['tcp', 'tcp4', 'tcp6']);
const UDP_TYPES = new Set(['udp', 'udp4', 'udp6']);

function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw invalid(`address ${address}: missing port in address`);
  return { host: m[1] === '' ? 'localhost' : m[1], port };
}

function parseEndpoint(options: DeviceOptions): Endpoint {
  const address = options.address;
  if (address === undefined || address === '') throw invalid('address is required');
  const type = options.socket_type ?? 'tcp';
  if (type === 'unix') return { kind: 'unix', path: address };
  if (STREAM_TYPES.has(type)) return { kind: 'stream', ...splitHostPort(address) };
  if (UDP_TYPES.has(type)) {
    const { host, port } = splitHostPort(address);
    return { kind: 'udp', host, port, family: type === 'udp6' || isIPv6(host) ? 'udp6' : 'udp4' };
  }
  throw invalid(`unknown socket_type ${JSON.stringify(type)}: use tcp, udp or unix`);
}

function openStream(endpoint: Extract<Endpoint, { kind: 'stream' | 'unix' }>): Connection {
  const socket: Socket =
    endpoint.kind === 'unix'
      ? createConnection({ path: endpoint.path })
      : createConnection({ host: endpoint.host, port: endpoint.port });
  let broken: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    // Without an 'error' listener a reset by the peer would crash the process.
    socket.on('error', (err) => {
      broken = err;
      reject(err);
    });
    socket.on('close', () => {
      broken ??= new Error('audit socket closed');
      reject(broken);
    });
  });
  ready.catch(() => undefined);
  return {
    ready,
    send: (data) =>
      new Promise((ok, fail) => {
        if (broken) return fail(broken);
        socket.write(data, (err) => (err ? fail(err) : ok()));
      }),
    destroy: () => socket.destroy(),
  };
}

function openUdp(endpoint: Extract<Endpoint, { kind: 'udp' }>): Connection {
  const socket: UdpSocket = createSocket(endpoint.family);
  let closed = false;
  const ready = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.connect(endpoint.port, endpoint.host, () => resolve());
  });
  ready.catch(() => undefined);
  return {
    ready,
    send: (data) => new Promise((ok, fail) => socket.send(data, (err) => (err ? fail(err) : ok()))),
    destroy: () => {
      if (!closed) socket.close();
      closed = true;
    },
  };
}

export class SocketDevice implements AuditDevice {
  readonly type = 'socket';
  private connection: Connection | undefined;
  private closed = false;
  private readonly serial = new Serial();

  private constructor(
    private readonly endpoint: Endpoint,
    /** Bounds each write from the moment it is asked for: queueing behind a stuck write counts too. */
    readonly timeoutMs: number,
    private readonly prefix: string,
  ) {}

  /** Validates the options; the connection is made on the first write (the broker's test entry). */
  static create(options: DeviceOptions): SocketDevice {
    const endpoint = parseEndpoint(options);
    const timeoutMs = parseDurationMs(options.write_timeout ?? '2s', 'write_timeout');
    if (!(timeoutMs > 0)) throw invalid('write_timeout must be greater than zero');
    return new SocketDevice(endpoint, timeoutMs, parsePrefix(options));
  }

  write(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit device is closed'));
    const data = Buffer.from(`${this.prefix}${line}\n`);
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(new Error(`audit socket write timed out after ${this.timeoutMs}ms`));
      }, this.timeoutMs);
    });
    const attempt = this.serial.run(async () => {
      if (expired) return; // gave up while queued: never send a line the caller was told failed
      // The race also releases the queue when the peer stops reading and the write never completes.
      await Promise.race([this.send(data, () => expired), deadline]).catch((err) => {
        // A half-sent line would corrupt the stream: drop the connection, the next write reconnects.
        this.reset();
        throw err;
      });
    });
    return Promise.race([attempt, deadline]).finally(() => clearTimeout(timer));
  }

  reopen(): Promise<void> {
    return this.serial.run(async () => this.reset());
  }

  close(): Promise<void> {
    this.closed = true;
    return this.serial.run(async () => this.reset());
  }

  /** Vault's retry: a failed write (peer restarted) reconnects once and tries again. */
  private async send(data: Buffer, expired: () => boolean): Promise<void> {
    try {
      await this.sendOnce(data, expired);
    } catch (err) {
      if (expired() || this.closed) throw err;
      await this.sendOnce(data, expired);
    }
  }

  private async sendOnce(data: Buffer, expired: () => boolean): Promise<void> {
    this.connection ??= this.endpoint.kind === 'udp' ? openUdp(this.endpoint) : openStream(this.endpoint);
    const connection = this.connection;
    try {
      await connection.ready;
      // A connect that outlived the caller's deadline must not send the line late.
      if (expired()) throw new Error('audit socket write timed out');
      await connection.send(data);
    } catch (err) {
      // Only this connection: a late failure must not tear down the one a later write has opened.
      connection.destroy();
      if (this.connection === connection) this.connection = undefined;
      throw err;
    }
  }

  private reset(): void {
    this.connection?.destroy();
    this.connection = undefined;
  }
}
