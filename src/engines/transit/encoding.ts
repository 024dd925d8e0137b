/** Go's strict standard base64 (padding required, CR and LF skipped) and Vault's `vault:v<N>:` prefix. */
import { invalid } from '../../core/errors.js';

const ALPHABET = /[A-Za-z0-9+/=]/;

const STANDARD = [43, 47]; // + and /
const URL_SAFE = [45, 95]; // - and _

function inAlphabet(code: number, lastTwo: readonly number[]): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === lastTwo[0] ||
    code === lastTwo[1]
  );
}

const withoutLineBreaks = (text: string) =>
  text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, '') : text;

/**
 * Whole groups of four, with `=` only as the last one or two characters. A loop, not a regex: a
 * pattern repeating 4-character groups overflows V8's backtracking stack from about 4.4 M characters.
 */
function isStrictBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  let end = text.length;
  if (text.endsWith('==')) end -= 2;
  else if (text.endsWith('=')) end -= 1;
  for (let i = 0; i < end; i++) if (!inAlphabet(text.charCodeAt(i), STANDARD)) return false;
  return true;
}

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
  for (let i = 0; i < clean.length; i++)
    if (!inAlphabet(clean.charCodeAt(i), URL_SAFE)) throw invalid(`illegal base64 data at input byte ${i}`);
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
