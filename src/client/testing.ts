/**
 * A fake Vault for client and CLI unit tests: records every request and answers canned, Vault-shaped
 * bodies. Built on node:net with a tiny HTTP/1.1 parser because node:http refuses the `LIST` verb.
 */
import { createServer, type Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path after `/v1/`, decoded, without the query. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON bodies
  body: any;
  rawBody: string;
}

export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeRoute = FakeReply | ((req: RecordedRequest) => FakeReply | Promise<FakeReply>);

export interface FakeVault {
  address: string;
  requests: RecordedRequest[];
  /** Replace or add a route, keyed `"METHOD path"`; `"* path"` matches any method. */
  route(key: string, route: FakeRoute): void;
  close(): Promise<void>;
}

interface Parsed {
  head: string[];
  body: string;
  consumed: number;
}

/** One complete request at the start of `buffer`, or undefined when more bytes are needed. */
function parseOne(buffer: Buffer): Parsed | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map(
    head
      .slice(1)
      .map((line) => [
        line.slice(0, line.indexOf(':')).trim().toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
  );
  let offset = end + 4;
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', offset);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(buffer.subarray(offset, lineEnd).toString('latin1'), 16);
      if (buffer.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { head, body: Buffer.concat(chunks).toString('utf8'), consumed: offset };
  }
  const length = Number(headers.get('content-length') ?? 0);
  if (buffer.length < offset + length) return undefined;
  return { head, body: buffer.subarray(offset, offset + length).toString('utf8'), consumed: offset + length };
}

function record(parsed: Parsed): RecordedRequest {
  const [method, target] = parsed.head[0].split(' ');
  const url = new URL(target, 'http://fake');
  const headers: Record<string, string> = {};
  for (const line of parsed.head.slice(1)) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  let body: unknown;
  try {
    body = parsed.body ? JSON.parse(parsed.body) : undefined;
  } catch {
    body = undefined;
  }
  return {
    method,
    path: decodeURIComponent(url.pathname.replace(/^\/v1\//, '')),
    query: url.searchParams,
    headers,
    body,
    rawBody: parsed.body,
  };
}

function reply(socket: Socket, answer: FakeReply): void {
  const status = answer.status ?? (answer.body === undefined ? 204 : 200);
  const text =
    answer.body === undefined
      ? ''
      : typeof answer.body === 'string'
        ? answer.body
        : JSON.stringify(answer.body);
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...answer.headers,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  socket.write(`HTTP/1.1 ${status} X\r\n${lines.join('\r\n')}\r\n\r\n${text}`);
}

export async function startFakeVault(routes: Record<string, FakeRoute> = {}): Promise<FakeVault> {
  const table = new Map(Object.entries(routes));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      // Not HTTP (a TLS handshake, say): answer like a real plain-HTTP listener and hang up.
      if (!/^[A-Z]/.test(buffer.subarray(0, 1).toString('latin1'))) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      for (let parsed = parseOne(buffer); parsed; parsed = parseOne(buffer)) {
        buffer = buffer.subarray(parsed.consumed);
        const req = record(parsed);
        requests.push(req);
        const route = table.get(`${req.method} ${req.path}`) ?? table.get(`* ${req.path}`);
        // Answers go out in request order, as HTTP/1.1 requires.
        queue = queue.then(async () => {
          const answer =
            typeof route === 'function' ? await route(req) : (route ?? { status: 404, body: { errors: [] } });
          reply(socket, answer);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    route: (key, route) => table.set(key, route),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A Vault envelope with the given fields over the usual empty defaults. */
export function envelope(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: 'req-1',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: '',
    ...fields,
  };
}
