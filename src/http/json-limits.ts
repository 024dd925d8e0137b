/**
 * A pre-parse pass over a JSON body that refuses input whose nesting, string count or string
 * length would blow up memory or our own recursive walkers (CVE-2025-6203). It scans bytes once,
 * without recursion, before `JSON.parse` runs.
 */
import { invalid } from '../core/errors.js';

export interface JsonLimits {
  maxDepth: number;
  maxStrings: number;
  maxStringBytes: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxDepth: 500,
  maxStrings: 100_000,
  maxStringBytes: 1 << 20,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function checkJsonComplexity(body: Buffer, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  let depth = 0;
  let strings = 0;
  let i = 0;
  const n = body.length;
  while (i < n) {
    const c = body[i];
    if (c === QUOTE) {
      const end = stringEnd(body, i + 1);
      if (end - i - 1 > limits.maxStringBytes || ++strings > limits.maxStrings) throw refused();
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth) throw refused();
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
    i++;
  }
}

/** Index of the closing quote of a string starting at `from` (or the end of input). */
function stringEnd(body: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const quote = body.indexOf(QUOTE, i);
    if (quote === -1) return body.length;
    let backslashes = 0;
    for (let j = quote - 1; j >= from && body[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

function refused() {
  return invalid('refused JSON input due to high complexity');
}

const AMPERSAND = 0x26;

/**
 * The same limits for a form-encoded body (`a=1&b=2`), which skips the JSON pass: its pairs are
 * counted before anything is decoded (each pair is two strings), its decoded keys and values
 * measured after. A 32 MiB form of millions of one-letter keys took 8.7 s and 330 MB to parse.
 */
export function checkFormComplexity(body: Buffer, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  let pairs = 1;
  for (let at = body.indexOf(AMPERSAND); at !== -1; at = body.indexOf(AMPERSAND, at + 1)) {
    if (++pairs * 2 > limits.maxStrings) throw refusedForm();
  }
}

/** After decoding: no key or value longer than a JSON string may be. */
export function checkFormStrings(
  pairs: Iterable<[string, string]>,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): void {
  for (const [key, value] of pairs) {
    if (Buffer.byteLength(key) > limits.maxStringBytes || Buffer.byteLength(value) > limits.maxStringBytes)
      throw refusedForm();
  }
}

function refusedForm() {
  return invalid('refused form input due to high complexity');
}
