/**
 * A TCP proxy between Coffer and a service that can fail on demand: `pass` forwards, `refuse`
 * closes every new connection at once, and `cut()` destroys the live ones ("backend down" without
 * stopping a shared service).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse';

export class FaultProxy {
  mode: ProxyMode = 'pass';
  private readonly live = new Set<Socket>();
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
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.live.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.live.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Destroys every live connection. */
  cut(): void {
    for (const socket of this.live) socket.destroy();
    this.live.clear();
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'refuse') this.cut();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
