/**
 * ECDSA signatures read as Vault reads them, ASN.1 DER through Go's encoding/asn1 or JWS `r || s`
 * split in half, then laid out as the fixed-size `r || s` that Node verifies (dsaEncoding ieee-p1363).
 * Going through r and s, not handing the bytes to OpenSSL, keeps Go's answers: a 400 for DER it
 * cannot parse, and a valid signature wherever Go would find one.
 */
import { invalid } from '../../core/errors.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;

interface Element {
  content: Buffer;
  end: number;
}

/** One DER element at `offset` with the given tag, as Go's parseTagAndLength accepts it, or undefined. */
function readElement(bytes: Buffer, offset: number, tag: number): Element | undefined {
  if (bytes[offset] !== tag || offset + 2 > bytes.length) return undefined;
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is BER's indefinite length; a leading zero or a short value in long form is not minimal DER.
    if (count === 0 || count > 3 || start + count > bytes.length || bytes[start] === 0) return undefined;
    length = bytes.subarray(start, start + count).reduce((n, b) => n * 256 + b, 0);
    if (length < 0x80) return undefined;
    start += count;
  }
  if (start + length > bytes.length) return undefined;
  return { content: bytes.subarray(start, start + length), end: start + length };
}

/** A DER INTEGER's content: non-empty and minimal, as Go's checkInteger demands. */
function isMinimalInteger(content: Buffer): boolean {
  if (content.length === 0) return false;
  if (content.length === 1) return true;
  return !(
    (content[0] === 0x00 && (content[1] & 0x80) === 0) ||
    (content[0] === 0xff && (content[1] & 0x80) !== 0)
  );
}

/** `r || s` for a DER signature; undefined when r or s cannot be valid (negative or too large). */
export function ecdsaFromDer(bytes: Buffer, size: number): Buffer | undefined {
  const sequence = readElement(bytes, 0, SEQUENCE);
  if (!sequence) throw invalid('supplied signature is invalid');
  if (sequence.end !== bytes.length) throw invalid('supplied signature contains extra data');
  const r = readElement(sequence.content, 0, INTEGER);
  const s = r && readElement(sequence.content, r.end, INTEGER);
  // Go allows more elements after s inside the SEQUENCE (X.509 grew that way), so they are not checked.
  if (!r || !s || !isMinimalInteger(r.content) || !isMinimalInteger(s.content))
    throw invalid('supplied signature is invalid');
  if ((r.content[0] & 0x80) !== 0 || (s.content[0] & 0x80) !== 0) return undefined;
  return fixedSize(r.content, s.content, size);
}

/** `r || s` for a JWS signature: Go takes the first half as r and the rest as s, whatever the length. */
export function ecdsaFromJws(bytes: Buffer, size: number): Buffer | undefined {
  const half = Math.floor(bytes.length / 2);
  return fixedSize(bytes.subarray(0, half), bytes.subarray(half), size);
}

function fixedSize(r: Buffer, s: Buffer, size: number): Buffer | undefined {
  const out = Buffer.alloc(2 * size);
  for (const [i, value] of [r, s].entries()) {
    let start = 0;
    while (start < value.length && value[start] === 0) start++;
    const magnitude = value.subarray(start);
    if (magnitude.length > size) return undefined; // at least the group order: never valid
    magnitude.copy(out, (i + 1) * size - magnitude.length);
  }
  return out;
}
