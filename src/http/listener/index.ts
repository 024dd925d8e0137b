/**
 * The HTTP(S) listener. Connections are served by Node's native HTTP parser; a connection that sends
 * Vault's `LIST` verb, which that parser refuses, moves to a framing tracker that serves it from then
 * on with `req.method` exactly as the client sent it (method-fallback.ts). Other unknown methods get
 * Vault's 405.
 */

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { createServer as createTlsServer } from 'node:tls';
import { nextMethod } from './connection.js';
import { type ParseError, recoverUnknownMethod } from './method-fallback.js';
import { TurnBatchedResponse } from './turn-batched-response.js';

export interface ListenerOptions {
  tls?: { cert: string | Buffer; key: string | Buffer; minVersion?: SecureVersion };
  maxHeaderBytes?: number;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export interface Listener {
  listen(port: number, host: string): Promise<{ port: number; host: string }>;
  /**
   * Stops accepting connections and closes the idle ones; a busy one closes once its response is
   * written. Resolves when none is left; after `graceMs` (2 s by default) the rest are cut.
   */
  close(graceMs?: number): Promise<void>;
  readonly server: Server;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A connection's latest response not yet written, kept on its socket so that a closing listener can
 * ask it to close after that response. Not a Set of responses: a set with one entry added and one
 * removed per request is rehashed again and again, V8 leaves each replaced hash table (with its
 * entries) in the old generation until the next full GC, and the young-generation GC treats what
 * those point to as alive. Every request that waited across an event-loop turn (a write's sync, an
 * audit write) was promoted that way: measured with one such wait per read, ~1 MB promoted per
 * scavenge (scavenges 4 ms instead of 0.8, three times as many mark-compacts) and 13.3k against 21.9k
 * reads/s.
 */
const LATEST_RESPONSE = Symbol('coffer.latestResponse');
type TrackedSocket = Socket & { [LATEST_RESPONSE]?: ServerResponse };

export function createListener(handler: Handler, options: ListenerOptions = {}): Listener {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  // Vault's defaults: http_read_header_timeout 10 s, http_read_timeout 30 s, http_idle_timeout 5 m.
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const http = createHttpServer({
    maxHeaderSize: maxHeaderBytes,
    requestTimeout,
    headersTimeout,
    // How often the timeouts are checked (Node's default, 30 s, would let a slow client run to twice them).
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, headersTimeout / 4)),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5 * 60_000,
    // Responses ended in one event-loop turn go out together (see its comment for why and the figures).
    ServerResponse: TurnBatchedResponse,
  });
  let closing = false;
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const original = nextMethod(req.socket);
    if (original) req.method = original;
    if (closing) res.setHeader('Connection', 'close');
    else {
      const socket = req.socket as TrackedSocket;
      socket[LATEST_RESPONSE] = res;
      res.once('close', () => {
        if (socket[LATEST_RESPONSE] === res) socket[LATEST_RESPONSE] = undefined;
      });
    }
    handler(req, res);
  });
  http.on('clientError', (error: ParseError, socket: Socket) => {
    if (error.code === 'HPE_INVALID_METHOD' && recoverUnknownMethod(http, socket, error, maxHeaderBytes))
      return;
    // Over-long headers (a 64 KB token, say) get the specific status; any other framing error is 400.
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  const connections = new Set<Socket>();
  const accept = (socket: Socket) => {
    socket.setNoDelay(true);
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined); // errors end the connection; nothing else to do
    http.emit('connection', socket);
  };
  const server: Server = options.tls
    ? createTlsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          minVersion: options.tls.minVersion ?? 'TLSv1.2',
          // A handshake that never finishes is dropped with the header timeout, as Go's server (so
          // Vault) does; Node's own default would hold such a connection for 120 s.
          handshakeTimeout: headersTimeout,
        },
        accept,
      )
    : createNetServer(accept);
  // With a listener here Node leaves the socket to us: without destroy() a handshake that timed out
  // (or failed) kept its connection open.
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          // The HTTP server never listens itself (connections reach it from `server`), but Node starts
          // its connection tracking on its 'listening' event: without it headersTimeout and
          // requestTimeout were never enforced (a client could hold a connection open with half a
          // request forever) and closeIdleConnections() found nothing to close.
          http.emit('listening');
          const address = server.address();
          if (address && typeof address === 'object') resolve({ port: address.port, host: address.address });
        });
      }),
    async close(graceMs = 2000) {
      closing = true;
      let cut: NodeJS.Timeout | undefined;
      // Node keeps a keep-alive connection open after its response; `Connection: close` ends it there.
      // On a connection's latest response, so pipelined ones before it are answered first.
      for (const socket of connections) {
        const res = (socket as TrackedSocket)[LATEST_RESPONSE];
        if (res && !res.headersSent) res.setHeader('Connection', 'close');
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        http.closeIdleConnections();
        cut = setTimeout(() => {
          for (const connection of connections) connection.destroy();
        }, graceMs);
        if (connections.size === 0) resolve();
      });
      clearTimeout(cut);
      // Stops the timeout checks started on 'listening'; until now they still ended slow clients.
      http.close();
    },
  };
}
