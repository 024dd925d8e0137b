/** Splits a byte stream into numbered lines without holding more than one (capped) line in memory. */
import { StringDecoder } from 'node:string_decoder';

/** A longer line is cut into pieces of this size, all reported under its line number. */
export const MAX_LINE_CHARS = 256 * 1024;
/** Git's own test: a NUL byte in the first 8000-odd bytes makes a file binary. */
export const BINARY_SNIFF_BYTES = 8192;

export interface TextLine {
  text: string;
  line: number;
  /** A later piece of a line longer than MAX_LINE_CHARS. */
  continued: boolean;
}

export class BinaryFileError extends Error {}

/** With `sniffBinary`, throws BinaryFileError before the first line when the stream starts with binary. */
export async function* readLines(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  sniffBinary = true,
): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder('utf8');
  let sniffed = sniffBinary ? 0 : BINARY_SNIFF_BYTES;
  let continued = false;
  let carry = '';
  let line = 1;
  for await (const chunk of chunks) {
    if (sniffed < BINARY_SNIFF_BYTES) {
      if (chunk.subarray(0, BINARY_SNIFF_BYTES - sniffed).includes(0)) throw new BinaryFileError('binary');
      sniffed += chunk.length;
    }
    carry += decoder.write(chunk);
    let start = 0;
    for (let nl = carry.indexOf('\n'); nl !== -1; nl = carry.indexOf('\n', start)) {
      for (; nl - start > MAX_LINE_CHARS; start += MAX_LINE_CHARS, continued = true) {
        yield { text: carry.slice(start, start + MAX_LINE_CHARS), line, continued };
      }
      yield { text: stripCr(carry.slice(start, nl)), line, continued };
      line += 1;
      continued = false;
      start = nl + 1;
    }
    for (; carry.length - start > MAX_LINE_CHARS; start += MAX_LINE_CHARS, continued = true) {
      yield { text: carry.slice(start, start + MAX_LINE_CHARS), line, continued };
    }
    carry = carry.slice(start);
  }
  carry += decoder.end();
  if (carry !== '') yield { text: stripCr(carry), line, continued };
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
