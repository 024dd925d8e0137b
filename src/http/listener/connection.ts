/**
 * A socket seen through the framing tracker: Node's HTTP server reads the (possibly rewritten) bytes
 * from this Duplex, and writes its responses straight to the socket. Backpressure and errors flow
 * both ways.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { FramingTracker } from './framing.js';

export class TrackedConnection extends Duplex {
  /** Methods as the client sent them, one per request head, in arrival order. */
  readonly methods: string[] = [];
  private readonly tracker: FramingTracker;

  constructor(
    readonly socket: Socket,
    maxHeaderBytes: number,
  ) {
    super({ allowHalfOpen: false });
    this.tracker = new FramingTracker(maxHeaderBytes);
    socket.on('data', (chunk: Buffer) => {
      const { output, methods } = this.tracker.feed(chunk);
      this.methods.push(...methods);
      const bytes = output.length === 1 ? output[0] : Buffer.concat(output);
      if (bytes.length > 0 && !this.push(bytes)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('drain', () => this.emit('drain'));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  /** Node's HTTP writer batches head and body; keep them in one socket write (one syscall). */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i].chunk);
    this.socket.write(chunks[chunks.length - 1].chunk, callback);
    this.socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(error ?? undefined);
    callback(error);
  }

  // The parts of net.Socket that node:http and request handlers use.
  get remoteAddress() {
    return this.socket.remoteAddress;
  }
  get remotePort() {
    return this.socket.remotePort;
  }
  get remoteFamily() {
    return this.socket.remoteFamily;
  }
  get localAddress() {
    return this.socket.localAddress;
  }
  get localPort() {
    return this.socket.localPort;
  }
  get encrypted(): boolean {
    return (this.socket as Socket & { encrypted?: boolean }).encrypted === true;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }
  address() {
    return this.socket.address();
  }
  ref(): this {
    this.socket.ref();
    return this;
  }
  unref(): this {
    this.socket.unref();
    return this;
  }
}
