/**
 * `random` and `hash` paths, served the same way under `sys/tools/` and a transit mount (Vault shares
 * one implementation between them too).
 */
import { createHash, randomBytes } from 'node:crypto';
import { invalid } from '../core/errors.js';
import { field } from './fields.js';
import { definePath } from './path.js';

const MAX_RANDOM_BYTES = 128 * 1024;

const randomFields = {
  urlbytes: field.string('Number of bytes, from the URL.'),
  source: field.string('Entropy source: platform, seal or all.', { default: 'platform' }),
  bytes: field.int('Number of bytes to return.', { default: 32 }),
  format: field.string('Output encoding: base64 or hex.', { default: 'base64' }),
};

function encode(bytes: Buffer, format: string): string {
  if (format === 'hex') return bytes.toString('hex');
  if (format === 'base64') return bytes.toString('base64');
  throw invalid(`unsupported encoding format "${format}"; must be "hex" or "base64"`);
}

function generateRandom(input: { urlbytes?: string; source?: string; bytes?: number; format?: string }) {
  // `tools/random/:x`: x is the byte count when numeric, else the source.
  let { source = 'platform', bytes = 32 } = input;
  if (input.urlbytes !== undefined) {
    if (/^\d+$/.test(input.urlbytes)) bytes = Number(input.urlbytes);
    else source = input.urlbytes;
  }
  if (!['platform', 'seal', 'all'].includes(source)) throw invalid(`unsupported entropy source "${source}"`);
  if (bytes < 1) throw invalid('"bytes" cannot be less than 1');
  if (bytes > MAX_RANDOM_BYTES) throw invalid(`"bytes" should be less than ${MAX_RANDOM_BYTES}`);
  return { data: { random_bytes: encode(randomBytes(bytes), input.format ?? 'base64') } };
}

/** Vault's hash names and Node's. */
export const HASHES: Record<string, string> = {
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

const hashFields = {
  urlalgorithm: field.string('Algorithm, from the URL.'),
  input: field.string('Base64-encoded input.', { required: true }),
  algorithm: field.string('Hash algorithm.', { default: 'sha2-256' }),
  format: field.string('Output encoding: hex or base64.', { default: 'hex' }),
};

function hashInput(input: { urlalgorithm?: string; input?: string; algorithm?: string; format?: string }) {
  const algorithm = input.urlalgorithm ?? input.algorithm ?? 'sha2-256';
  // Own keys only: the caller's text must never reach Object.prototype ("constructor", "__proto__").
  const nodeName = Object.hasOwn(HASHES, algorithm) ? HASHES[algorithm] : undefined;
  if (!nodeName) throw invalid(`unsupported algorithm type "${algorithm}"`);
  const text = input.input ?? '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw invalid('unable to decode input as base64: illegal base64 data');
  }
  const digest = createHash(nodeName).update(Buffer.from(text, 'base64')).digest();
  return { data: { sum: encode(digest, input.format ?? 'hex') } };
}

/** The paths, each pattern behind `prefix` ("tools/" in sys, "" in transit). */
export const randomAndHashPaths = (prefix: string) => [
  definePath({
    pattern: `${prefix}random`,
    fields: randomFields,
    operations: { update: (_ctx, input) => generateRandom(input) },
    help: 'Generate random bytes.',
  }),
  definePath({
    pattern: `${prefix}random/:urlbytes`,
    fields: randomFields,
    operations: { update: (_ctx, input) => generateRandom(input) },
    help: 'Generate random bytes (count or source in the URL).',
  }),
  definePath({
    pattern: `${prefix}random/:source/:urlbytes`,
    fields: randomFields,
    operations: { update: (_ctx, input) => generateRandom(input) },
    help: 'Generate random bytes from a source.',
  }),
  definePath({
    pattern: `${prefix}hash`,
    fields: hashFields,
    operations: { update: (_ctx, input) => hashInput(input) },
    help: 'Hash base64-encoded input.',
  }),
  definePath({
    pattern: `${prefix}hash/:urlalgorithm`,
    fields: hashFields,
    operations: { update: (_ctx, input) => hashInput(input) },
    help: 'Hash base64-encoded input with the algorithm in the URL.',
  }),
];
