/**
 * A TCP proxy between Coffer and a service that can fail on demand: `pass` forwards, `refuse`
 * closes every new connection at once, `hold` stops forwarding in both directions and keeps what
 * arrives, new connections included (a partition where packets are delayed, not refused; what was
 * held is delivered at the next `pass`), and `cut()` destroys the live ones ("backend down" without
 * stopping a shared service).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'hold';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class FaultProxy {
  mode: ProxyMode = 'pass';
  private readonly pairs = new Set<Pair>();
  private server?: Server;
  port = 0;
  /** Connections accepted while refusing, so a test can see that the client kept trying. */
  refused = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private accept(client: Socket): void {
    if (this.mode === 'refuse') {
      this.refused++;
      client.destroy();
      return;
    }
    const pair = { client, upstream: connect(this.targetPort, this.targetHost) };
    this.pairs.add(pair);
    for (const socket of [pair.client, pair.upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      });
    }
    if (this.mode === 'hold') FaultProxy.unlink(pair);
    else FaultProxy.link(pair);
  }

  private static link({ client, upstream }: Pair): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private static unlink({ client, upstream }: Pair): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  /** Destroys every live connection. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  setMode(mode: ProxyMode): void {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'refuse') this.cut();
    else if (mode === 'hold' && was !== 'hold') for (const pair of this.pairs) FaultProxy.unlink(pair);
    else if (mode === 'pass' && was === 'hold') for (const pair of this.pairs) FaultProxy.link(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
