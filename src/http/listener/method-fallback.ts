/**
 * Connections start on Node's native HTTP path: llhttp reads the socket from C++, with no JavaScript
 * per chunk. llhttp refuses methods it does not know, Vault's `LIST` among them. When that happens
 * this module takes over the connection:
 *
 * - `LIST`: the connection moves to the framing tracker (connection.ts), which hands llhttp each
 *   LIST as a GET and remembers the real method, and is served from then on through a fresh parser.
 * - any other token method: 405 with Vault's empty error list, then the connection closes (where
 *   that request ends cannot be known without parsing it, so nothing behind it is read).
 * - anything else: 400 and close, as before.
 *
 * Responses still in flight for requests before the failing one are finished first, so answers
 * never leave out of order.
 *
 * What llhttp leaves us: the failing read (`rawPacket`) and the offset of the refused byte
 * (`bytesParsed`). llhttp refuses `LIST` at its `S`, after accepting `LI` as the start of `LINK`;
 * those two bytes may have arrived in an earlier read, and are then restored.
 *
 * This relies on Node's own connection fields (`socket.parser`, `parser.unconsume`, `parser.remove`,
 * `socket._httpMessage`), the ones Node's HTTP upgrade path uses; if one is missing, the request
 * gets a 400 instead, never a misparse.
 */
import type { Server as HttpServer } from 'node:http';
import { Socket } from 'node:net';
import { isTracked, trackFraming } from './connection.js';

export interface ParseError extends Error {
  code?: string;
  rawPacket?: Buffer;
  bytesParsed?: number;
}

interface NodeParser {
  unconsume?: () => void;
  remove?: () => void;
}

/** The fields of Node's HTTP server state on a socket that this module reads or resets. */
type ServedSocket = Socket & {
  parser?: NodeParser | null;
  _httpMessage?: NodeJS.EventEmitter | null;
};

const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const LIST_PREFIX = Buffer.from('LI');

const METHOD_NOT_ALLOWED =
  'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n' +
  'Connection: close\r\nContent-Length: 14\r\n\r\n{"errors":[]}\n';

/**
 * Handles an `HPE_INVALID_METHOD` client error. Returns false when it does not apply (the caller
 * answers 400 and closes).
 */
export function recoverUnknownMethod(
  http: HttpServer,
  socket: Socket,
  error: ParseError,
  maxHeaderBytes: number,
): boolean {
  const served = socket as ServedSocket;
  const raw = error.rawPacket;
  const at = error.bytesParsed;
  const parser = served.parser;
  if (
    error.code !== 'HPE_INVALID_METHOD' ||
    !Buffer.isBuffer(raw) ||
    typeof at !== 'number' ||
    at < 0 ||
    at >= raw.length ||
    !parser ||
    typeof parser.unconsume !== 'function' ||
    // Already on the tracker: it hands llhttp only known methods, so this is a malformed message.
    isTracked(socket)
  )
    return false;
  const refused = String.fromCharCode(raw[at]);
  if (refused !== ' ' && !TOKEN_CHAR.test(refused)) return false;
  const list = listRequestStart(raw, at);
  detachNodeParser(served, parser);
  // Nothing more is read until the earlier answers are out.
  socket.pause();
  afterInFlight(served)
    .then(() => {
      if (socket.destroyed) return;
      if (!list) {
        socket.end(METHOD_NOT_ALLOWED);
        return;
      }
      trackFraming(socket, maxHeaderBytes, list);
      http.emit('connection', socket);
      socket.resume();
    })
    // Whatever went wrong, this connection cannot be served reliably any more.
    .catch(() => socket.destroy());
  return true;
}

/** The bytes from the start of a refused LIST request on, or undefined if it is not one. */
function listRequestStart(raw: Buffer, at: number): Buffer | undefined {
  if (raw[at] !== 0x53 /* S */) return undefined;
  const start = at - LIST_PREFIX.length;
  if (start >= 0) return hasPrefix(raw, start) ? raw.subarray(start) : undefined;
  // `L` or `LI` arrived in an earlier read; what this read holds of the prefix must match the rest.
  const missing = LIST_PREFIX.subarray(0, -start);
  const present = raw.subarray(0, at);
  if (!present.equals(LIST_PREFIX.subarray(-start))) return undefined;
  return Buffer.concat([missing, raw]);
}

function hasPrefix(raw: Buffer, start: number): boolean {
  return raw[start] === LIST_PREFIX[0] && raw[start + 1] === LIST_PREFIX[1];
}

/**
 * Stops Node's failed parser from reading or timing out this socket, and removes the listeners its
 * connection set up, so a new connection state can be attached. Our own listeners (close, error)
 * were added before Node's and are kept.
 */
function detachNodeParser(socket: ServedSocket, parser: NodeParser): void {
  parser.unconsume?.();
  parser.remove?.(); // out of the server's request-timeout list
  for (const event of ['data', 'end', 'drain', 'timeout', 'resume', 'pause'])
    socket.removeAllListeners(event);
  // Node wraps these to unconsume its parser when a data listener is added; restore the originals.
  socket.on = Socket.prototype.on;
  socket.addListener = Socket.prototype.addListener;
  socket.prependListener = Socket.prototype.prependListener;
  socket.setEncoding = Socket.prototype.setEncoding;
  socket.parser = null;
}

/** Resolves once no response of the old connection state is being written. */
async function afterInFlight(socket: ServedSocket): Promise<void> {
  for (let current = socket._httpMessage; current; current = socket._httpMessage) {
    await new Promise<void>((resolve) => {
      current!.once('close', resolve);
      socket.once('close', resolve);
    });
    if (socket.destroyed) return;
  }
}
