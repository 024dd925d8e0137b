/**
 * An incremental HTTP/1.1 framing tracker. Node's parser (llhttp) refuses methods it does not know,
 * such as Vault's `LIST`. This tracker finds each request's start exactly as llhttp will (head ends
 * at CRLFCRLF, body by Content-Length or chunked encoding), records the method the client sent,
 * and rewrites an unknown method to `GET` so llhttp accepts the message. Anything it cannot frame
 * with certainty switches it to pass-through, so llhttp rejects the request and the two parsers can
 * never disagree about where a message ends (no request smuggling).
 */

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const GET = Buffer.from('GET');
/** A head naming none of the headers that frame a body (or refuse framing) has no body. */
const FRAMING_HEADER = /content-length|transfer-encoding|upgrade/i;
const NO_BODY = { chunked: false, length: 0 } as const;

type State =
  | { readonly kind: 'head' }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'trailers' }
  | { kind: 'passthrough' };

export interface FramingResult {
  /** Bytes to hand to llhttp, in order. */
  output: Buffer[];
  /** Methods of the requests whose heads were completed in this feed, in order. */
  methods: string[];
}

const HEAD: State = { kind: 'head' };

/**
 * Appends a piece of output; a piece that continues the previous one in the same memory is merged
 * into it, so an unrewritten chunk reaches llhttp as one buffer, without a copy.
 */
function emit(out: FramingResult, piece: Buffer): void {
  if (piece.length === 0) return;
  const last = out.output[out.output.length - 1];
  if (last && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
    out.output[out.output.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
  } else {
    out.output.push(piece);
  }
}

export class FramingTracker {
  private state: State = HEAD;
  private pending: Buffer = EMPTY;

  constructor(private readonly maxHeaderBytes = 16 * 1024) {}

  get passthrough(): boolean {
    return this.state.kind === 'passthrough';
  }

  feed(chunk: Buffer): FramingResult {
    const result: FramingResult = { output: [], methods: [] };
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    while (data.length > 0) {
      const consumed = this.step(data, result);
      if (consumed === 0) {
        this.pending = Buffer.from(data); // need more bytes; keep a copy (the chunk may be reused)
        break;
      }
      data = data.subarray(consumed);
    }
    return result;
  }

  /** Processes a prefix of `data`; returns how many bytes it consumed (0 = wait for more). */
  private step(data: Buffer, out: FramingResult): number {
    const state = this.state;
    switch (state.kind) {
      case 'passthrough':
        emit(out, data);
        return data.length;
      case 'head':
        return this.head(data, out);
      case 'body': {
        const take = Math.min(state.remaining, data.length);
        emit(out, data.subarray(0, take));
        state.remaining -= take;
        if (state.remaining === 0) this.state = HEAD;
        return take;
      }
      case 'chunk-size':
        return this.chunkSize(data, out);
      case 'chunk-data': {
        // Chunk data is followed by its own CRLF, which we pass along with it.
        const take = Math.min(state.remaining, data.length);
        emit(out, data.subarray(0, take));
        state.remaining -= take;
        if (state.remaining === 0) this.state = { kind: 'chunk-size' };
        return take;
      }
      case 'trailers':
        return this.trailers(data, out);
    }
  }

  private toPassthrough(data: Buffer, out: FramingResult): number {
    this.state = { kind: 'passthrough' };
    emit(out, data);
    return data.length;
  }

  private head(data: Buffer, out: FramingResult): number {
    // Tolerate the empty lines llhttp skips between pipelined requests.
    let start = 0;
    while (data.length - start >= 2 && data[start] === 0x0d && data[start + 1] === 0x0a) start += 2;
    const end = data.indexOf(CRLFCRLF, start);
    if (end === -1) {
      if (data.length > this.maxHeaderBytes) return this.toPassthrough(data, out);
      if (start > 0) {
        emit(out, data.subarray(0, start));
        return start;
      }
      return 0;
    }
    const head = data.subarray(start, end + 4);
    const text = head.toString('latin1');
    const space = text.indexOf(' ');
    const method = space > 0 ? text.slice(0, space) : '';
    const framing =
      space > 0 && TOKEN.test(method) ? (FRAMING_HEADER.test(text) ? bodyFraming(text) : NO_BODY) : undefined;
    if (!framing) return this.toPassthrough(data, out);
    out.methods.push(method);
    emit(out, data.subarray(0, start));
    if (KNOWN_METHODS.has(method)) emit(out, head);
    else out.output.push(Buffer.concat([GET, head.subarray(method.length)]));
    if (framing.chunked) this.state = { kind: 'chunk-size' };
    else if (framing.length > 0) this.state = { kind: 'body', remaining: framing.length };
    else this.state = HEAD;
    return end + 4;
  }

  private chunkSize(data: Buffer, out: FramingResult): number {
    const eol = data.indexOf(CRLF);
    if (eol === -1) return data.length > 1024 ? this.toPassthrough(data, out) : 0;
    const line = data.subarray(0, eol).toString('latin1');
    const sizeText = line.split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) return this.toPassthrough(data, out);
    const size = Number.parseInt(sizeText, 16);
    emit(out, data.subarray(0, eol + 2));
    this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size + 2 };
    return eol + 2;
  }

  private trailers(data: Buffer, out: FramingResult): number {
    const eol = data.indexOf(CRLF);
    if (eol === -1) return data.length > this.maxHeaderBytes ? this.toPassthrough(data, out) : 0;
    emit(out, data.subarray(0, eol + 2));
    if (eol === 0) this.state = HEAD; // the empty line ends the trailers and the message
    return eol + 2;
  }
}

/** Body framing from a request head, or undefined when it is ambiguous (llhttp will reject it). */
function bodyFraming(head: string): { chunked: boolean; length: number } | undefined {
  let length: number | undefined;
  let chunked = false;
  let transferEncoding = false;
  for (let at = head.indexOf('\r\n') + 2; at > 1 && at < head.length; ) {
    const eol = head.indexOf('\r\n', at);
    const line = head.slice(at, eol === -1 ? head.length : eol);
    at = eol === -1 ? head.length : eol + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim();
    // Only these three names matter; skip the lowercase copy for every other header.
    if (rawName.length !== 14 && rawName.length !== 17 && rawName.length !== 7) continue;
    const name = rawName.toLowerCase();
    if (name === 'content-length') {
      const value = line.slice(colon + 1).trim();
      if (!/^\d{1,15}$/.test(value)) return undefined;
      const n = Number(value);
      if (length !== undefined && length !== n) return undefined;
      length = n;
    } else if (name === 'transfer-encoding') {
      transferEncoding = true;
      chunked =
        line
          .slice(colon + 1)
          .trim()
          .toLowerCase()
          .split(',')
          .pop()!
          .trim() === 'chunked';
    } else if (name === 'upgrade') {
      return undefined; // no protocol switches on this listener
    }
  }
  if (transferEncoding && (length !== undefined || !chunked)) return undefined;
  return { chunked, length: length ?? 0 };
}
