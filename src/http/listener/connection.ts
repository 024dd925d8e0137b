/**
 * A socket seen through the framing tracker. Every chunk the socket reads passes through the tracker
 * on its way into the socket's readable side (its `push`), so Node's HTTP server reads the (possibly
 * rewritten) bytes from the real socket and writes its responses straight to it: no wrapper stream,
 * no second copy of stream state per connection.
 */
import type { Socket } from 'node:net';
import { FramingTracker } from './framing.js';

/** Methods as the client sent them, one per request head, in arrival order. */
const methodQueues = new WeakMap<Socket, string[]>();

/** The method the client sent for the next request on this socket, if the tracker saw its head. */
export function nextMethod(socket: Socket): string | undefined {
  return methodQueues.get(socket)?.shift();
}

type Push = (chunk: unknown, encoding?: BufferEncoding) => boolean;

/** Whether this socket's reads go through a framing tracker. */
export function isTracked(socket: Socket): boolean {
  return methodQueues.has(socket);
}

/**
 * Routes the socket's reads through a framing tracker. Must run before Node's HTTP server sees the
 * socket: the handle is marked consumed so llhttp reads through `push` instead of straight from libuv.
 * `initial` holds bytes read before the switch (method-fallback.ts); they go first.
 */
export function trackFraming(socket: Socket, maxHeaderBytes: number, initial?: Buffer): void {
  const tracker = new FramingTracker(maxHeaderBytes);
  const methods: string[] = [];
  methodQueues.set(socket, methods);
  const handle = (socket as Socket & { _handle?: { _consumed?: boolean } | null })._handle;
  if (handle) handle._consumed = true;
  const push = socket.push.bind(socket) as Push;
  const through: Push = (chunk, encoding) => {
    if (chunk === null || !Buffer.isBuffer(chunk)) return push(chunk, encoding);
    const { output, methods: seen } = tracker.feed(chunk);
    for (const method of seen) methods.push(method);
    if (output.length === 0) return true;
    const bytes = output.length === 1 ? output[0] : Buffer.concat(output);
    return bytes.length === 0 ? true : push(bytes);
  };
  // Bytes already read (a TLS record that arrived with the handshake) go through the tracker too.
  const buffered = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  socket.push = through;
  if (initial) through(initial);
  if (buffered) through(buffered);
}
