/** `sign/:name(/:urlalgorithm)` and `verify/:name(/:urlalgorithm)`: signatures, and HMACs on verify. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, mapInChunks, parseBatch, tryItemAsync } from '../batch.js';
import { nodeHashOf } from '../digest.js';
import { decodeBase64 } from '../encoding.js';
import { SALT_AUTO, SALT_HASH, type SignOptions, signValue, verifyHmac, verifyValue } from '../signing.js';
import type { StoredKey } from '../store.js';
import { cipherFields, keyVersionField, requireKey, valueField } from './common.js';

const { name, context, batch_input, partial_failure_response_code } = cipherFields;
const signFields = {
  name,
  context,
  batch_input,
  partial_failure_response_code,
  urlalgorithm: field.string('Hash algorithm, given in the path.', { max: 32 }),
  input: valueField('Base64 data to sign or verify.'),
  key_version: keyVersionField,
  hash_algorithm: field.string('sha2-256 (default), sha1, sha2-224/384/512, sha3-224/256/384/512.', {
    max: 32,
  }),
  algorithm: field.string('Deprecated name of hash_algorithm.', { max: 32 }),
  signature_algorithm: field.string('RSA padding: pss (default) or pkcs1v15.', { max: 16 }),
  marshaling_algorithm: field.string('ECDSA signature encoding: asn1 (default) or jws.', { max: 16 }),
  salt_length: field.string(
    'RSA-PSS salt length: auto (default, or 0), hash (or -1), or a number of bytes.',
    {
      max: 16,
    },
  ),
  prehashed: field.bool('The input is already a digest (not supported yet).'),
  signature: valueField('The signature to verify, "vault:v<N>:...".'),
  hmac: valueField('The HMAC to verify, "vault:v<N>:...".'),
};
type SignInput = Input<typeof signFields>;

function optionsOf(input: SignInput): SignOptions {
  if (input.prehashed) throw invalid('prehashed input is not supported by this server yet');
  const marshaling = input.marshaling_algorithm ?? 'asn1';
  if (marshaling !== 'asn1' && marshaling !== 'jws') throw invalid(`invalid marshaling type ${marshaling}`);
  const rsaPadding = input.signature_algorithm || 'pss';
  if (rsaPadding !== 'pss' && rsaPadding !== 'pkcs1v15')
    throw invalid(`unsupported rsa signature algorithm ${rsaPadding}`);
  const saltLength = saltLengthOf(input.salt_length ?? 'auto');
  const algorithm = input.urlalgorithm ?? input.hash_algorithm ?? input.algorithm ?? 'sha2-256';
  return { hash: nodeHashOf(algorithm), marshaling, rsaPadding, saltLength };
}

/** Vault's getSaltLength, in Go's terms: "auto" is 0, "hash" is -1, else a decimal int from -1 up. */
function saltLengthOf(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'auto') return SALT_AUTO;
  if (lower === 'hash') return SALT_HASH;
  if (!/^[+-]?\d{1,15}$/.test(lower))
    throw invalid(`salt length neither 'auto', 'hash', nor an int: ${text}`);
  const n = Number(lower);
  if (n < SALT_HASH) throw invalid(`salt length is invalid: ${n}`);
  return n;
}

function itemsOf(input: SignInput): { items: BatchItem[]; batch: boolean } {
  if (input.batch_input !== undefined) return { items: parseBatch(input.batch_input), batch: true };
  if (input.input === undefined) throw invalid('missing input');
  const { context: ctxText, signature, hmac, key_version } = input;
  return { items: [{ input: input.input, context: ctxText, signature, hmac, key_version }], batch: false };
}

/** Signatures a batch keeps on the thread pool at once: about its size, leaving room for other work. */
const IN_FLIGHT = 4;

const contextOf = (item: BatchItem) => (item.context ? decodeBase64(item.context) : undefined);

async function signInput(ctx: EngineContext, input: SignInput) {
  const options = optionsOf(input);
  const { items, batch } = itemsOf(input);
  const key = await requireKey(ctx, input.name!);
  const outcomes = await mapInChunks(items, IN_FLIGHT, (item) =>
    tryItemAsync(async () => {
      const data = decodeBase64(item.input ?? '');
      return signValue(key, item.key_version, data, { ...options, context: contextOf(item) });
    }),
  );
  return answer({
    items,
    outcomes,
    batch,
    toData: (v, inBatch) => ({
      signature: v.signature,
      key_version: v.version,
      // Vault's batch item spells it `publickey`, its single answer `public_key`.
      ...(v.publicKey && { [inBatch ? 'publickey' : 'public_key']: v.publicKey }),
    }),
    partialFailureCode: input.partial_failure_response_code,
  });
}

async function verifyItem(key: StoredKey, item: BatchItem, options: SignOptions): Promise<boolean> {
  const data = decodeBase64(item.input ?? '');
  if (item.signature && item.hmac) throw invalid('provide one of "signature" or "hmac", not both');
  if (item.hmac) return verifyHmac(key, data, item.hmac, options.hash);
  if (!item.signature) throw invalid('missing signature or hmac');
  return verifyValue(key, data, item.signature, { ...options, context: contextOf(item) });
}

async function verifyInput(ctx: EngineContext, input: SignInput) {
  const options = optionsOf(input);
  const { items, batch } = itemsOf(input);
  const key = await requireKey(ctx, input.name!);
  return answer({
    items,
    outcomes: await mapInChunks(items, IN_FLIGHT, (item) =>
      tryItemAsync(() => verifyItem(key, item, options)),
    ),
    batch,
    toData: (valid) => ({ valid }),
    failedFields: { valid: false },
    partialFailureCode: input.partial_failure_response_code,
  });
}

export const signPaths = [
  'sign/:name',
  'sign/:name/:urlalgorithm',
  'verify/:name',
  'verify/:name/:urlalgorithm',
].map((pattern) =>
  definePath({
    pattern,
    fields: signFields,
    operations: { update: pattern.startsWith('sign/') ? signInput : verifyInput },
    help: pattern.startsWith('sign/')
      ? 'Sign base64 input with an Ed25519, ECDSA or RSA key.'
      : 'Verify a signature or an HMAC over base64 input.',
  }),
);
