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

type State =
  | { kind: 'head' }
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

export class FramingTracker {
  private state: State = { kind: 'head' };
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxHeaderBytes = 16 * 1024) {}

  get passthrough(): boolean {
    return this.state.kind === 'passthrough';
  }

  feed(chunk: Buffer): FramingResult {
    const result: FramingResult = { output: [], methods: [] };
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
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
        out.output.push(data);
        return data.length;
      case 'head':
        return this.head(data, out);
      case 'body': {
        const take = Math.min(state.remaining, data.length);
        out.output.push(data.subarray(0, take));
        state.remaining -= take;
        if (state.remaining === 0) this.state = { kind: 'head' };
        return take;
      }
      case 'chunk-size':
        return this.chunkSize(data, out);
      case 'chunk-data': {
        // Chunk data is followed by its own CRLF, which we pass along with it.
        const take = Math.min(state.remaining, data.length);
        out.output.push(data.subarray(0, take));
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
    out.output.push(data);
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
        out.output.push(data.subarray(0, start));
        return start;
      }
      return 0;
    }
    const head = data.subarray(start, end + 4);
    const text = head.toString('latin1');
    const space = text.indexOf(' ');
    const method = space > 0 ? text.slice(0, space) : '';
    const framing = space > 0 && TOKEN.test(method) ? bodyFraming(text) : undefined;
    if (!framing) return this.toPassthrough(data, out);
    out.methods.push(method);
    out.output.push(data.subarray(0, start));
    out.output.push(
      KNOWN_METHODS.has(method) ? head : Buffer.concat([Buffer.from('GET'), head.subarray(method.length)]),
    );
    if (framing.chunked) this.state = { kind: 'chunk-size' };
    else if (framing.length > 0) this.state = { kind: 'body', remaining: framing.length };
    else this.state = { kind: 'head' };
    return end + 4;
  }

  private chunkSize(data: Buffer, out: FramingResult): number {
    const eol = data.indexOf(CRLF);
    if (eol === -1) return data.length > 1024 ? this.toPassthrough(data, out) : 0;
    const line = data.subarray(0, eol).toString('latin1');
    const sizeText = line.split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) return this.toPassthrough(data, out);
    const size = Number.parseInt(sizeText, 16);
    out.output.push(data.subarray(0, eol + 2));
    this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size + 2 };
    return eol + 2;
  }

  private trailers(data: Buffer, out: FramingResult): number {
    const eol = data.indexOf(CRLF);
    if (eol === -1) return data.length > this.maxHeaderBytes ? this.toPassthrough(data, out) : 0;
    out.output.push(data.subarray(0, eol + 2));
    if (eol === 0) this.state = { kind: 'head' }; // the empty line ends the trailers and the message
    return eol + 2;
  }
}

/** Body framing from a request head, or undefined when it is ambiguous (llhttp will reject it). */
function bodyFraming(head: string): { chunked: boolean; length: number } | undefined {
  let length: number | undefined;
  let chunked = false;
  let transferEncoding = false;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      const n = Number(value);
      if (length !== undefined && length !== n) return undefined;
      length = n;
    } else if (name === 'transfer-encoding') {
      transferEncoding = true;
      chunked = value.toLowerCase().split(',').pop()!.trim() === 'chunked';
    } else if (name === 'upgrade') {
      return undefined; // no protocol switches on this listener
    }
  }
  if (transferEncoding && (length !== undefined || !chunked)) return undefined;
  return { chunked, length: length ?? 0 };
}
