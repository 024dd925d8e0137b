/**
 * The HTTP(S) listener. Connections are served by Node's native HTTP parser; a connection that sends
 * Vault's `LIST` verb, which that parser refuses, moves to a framing tracker that serves it from then
 * on with `req.method` exactly as the client sent it (method-fallback.ts). Other unknown methods get
 * Vault's 405.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { nextMethod } from './connection.js';
import { type ParseError, recoverUnknownMethod } from './method-fallback.js';

export interface ListenerOptions {
  tls?: { cert: string | Buffer; key: string | Buffer; minVersion?: 'TLSv1.2' | 'TLSv1.3' };
  maxHeaderBytes?: number;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export interface Listener {
  listen(port: number, host: string): Promise<{ port: number; host: string }>;
  close(): Promise<void>;
  readonly server: Server;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createListener(handler: Handler, options: ListenerOptions = {}): Listener {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  const http = createHttpServer({
    maxHeaderSize: maxHeaderBytes,
    requestTimeout: options.requestTimeoutMs ?? 5 * 60_000,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
  });
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const original = nextMethod(req.socket);
    if (original) req.method = original;
    handler(req, res);
  });
  http.on('clientError', (error: ParseError, socket: Socket) => {
    if (error.code === 'HPE_INVALID_METHOD' && recoverUnknownMethod(http, socket, error, maxHeaderBytes))
      return;
    // Over-long headers (a 64 KB token, say) get the specific status; any other framing error is 400.
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
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
        { cert: options.tls.cert, key: options.tls.key, minVersion: options.tls.minVersion ?? 'TLSv1.2' },
        accept,
      )
    : createNetServer(accept);
  server.on('tlsClientError', () => undefined);

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          if (address && typeof address === 'object') resolve({ port: address.port, host: address.address });
        });
      }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        http.closeIdleConnections();
        // In-flight requests get a moment to finish; then every connection goes.
        setTimeout(() => {
          for (const connection of connections) connection.destroy();
        }, 2000).unref();
        if (connections.size === 0) resolve();
      });
    },
  };
}
