/** Go's strict standard base64 (padding required, CR and LF skipped) and Vault's `vault:v<N>:` prefix. */
import { invalid } from '../../core/errors.js';
import { firstNonBase64UrlChar, isStrictBase64 } from '../../framework/strict-base64.js';

const ALPHABET = /[A-Za-z0-9+/=]/;

const withoutLineBreaks = (text: string) =>
  text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;

/**
 * Decodes base64 as Go's base64.StdEncoding does, or throws its "illegal base64 data" error. Node's
 * own decoder skips any character it does not know, which would accept tampered input silently.
 */
export function decodeBase64(text: string): Buffer {
  const clean = withoutLineBreaks(text);
  if (isStrictBase64(clean)) return Buffer.from(clean, 'base64');
  throw invalid(`illegal base64 data at input byte ${badByteOffset(clean)}`);
}

/** Where Go stops: the first character outside the alphabet, else the start of the short final group. */
function badByteOffset(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const padding = text[i] === '=';
    if (!ALPHABET.test(text[i]) || (padding && i < text.length - 2)) return i;
  }
  return text.length - (text.length % 4 || 4);
}

/**
 * Decodes unpadded url-safe base64 as Go's base64.RawURLEncoding does (JWS signatures), or throws.
 * Node's base64url decoder skips unknown characters and padding, so a mangled signature would pass.
 */
export function decodeBase64Url(text: string): Buffer {
  const clean = withoutLineBreaks(text);
  const bad = firstNonBase64UrlChar(clean);
  if (bad >= 0) throw invalid(`illegal base64 data at input byte ${bad}`);
  // One character left over carries fewer than 8 bits: no byte ends there.
  if (clean.length % 4 === 1) throw invalid(`illegal base64 data at input byte ${clean.length - 1}`);
  return Buffer.from(clean, 'base64url');
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export const versionPrefix = (version: number) => `vault:v${version}:`;

/** The version and body of a `vault:v<N>:<body>` value; `what` is "ciphertext" or "signature". */
export function splitVersioned(value: string, what: string): { version: number; body: string } {
  if (!value.startsWith('vault:v')) throw invalid(`invalid ${what}: no prefix`);
  const rest = value.slice('vault:v'.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw invalid(`invalid ${what}: wrong number of fields`);
  const digits = rest.slice(0, colon);
  // strconv.Atoi: an optional sign, then decimal digits.
  if (!/^[+-]?\d{1,18}$/.test(digits)) throw invalid(`invalid ${what}: version number could not be decoded`);
  return { version: Number(digits), body: rest.slice(colon + 1) };
}
