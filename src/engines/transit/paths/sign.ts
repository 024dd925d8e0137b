/** `sign/:name(/:urlalgorithm)` and `verify/:name(/:urlalgorithm)`: signatures, and HMACs on verify. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, parseBatch, tryItem } from '../batch.js';
import { nodeHashOf } from '../digest.js';
import { decodeBase64 } from '../encoding.js';
import { type SignOptions, signValue, verifyHmac, verifyValue } from '../signing.js';
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
  salt_length: field.string('RSA-PSS salt length: auto (default), hash, or a number of bytes.', { max: 16 }),
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
  const salt = input.salt_length ?? 'auto';
  const saltLength = salt === 'auto' || salt === 'hash' ? salt : Number(salt);
  if (typeof saltLength === 'number' && !(Number.isInteger(saltLength) && saltLength >= 0))
    throw invalid(`invalid salt_length: ${salt}`);
  const algorithm = input.urlalgorithm ?? input.hash_algorithm ?? input.algorithm ?? 'sha2-256';
  return { hash: nodeHashOf(algorithm), marshaling, rsaPadding, saltLength };
}

function itemsOf(input: SignInput): { items: BatchItem[]; batch: boolean } {
  if (input.batch_input !== undefined) return { items: parseBatch(input.batch_input), batch: true };
  if (input.input === undefined) throw invalid('missing input');
  const { context: ctxText, signature, hmac, key_version } = input;
  return { items: [{ input: input.input, context: ctxText, signature, hmac, key_version }], batch: false };
}

const contextOf = (item: BatchItem) => (item.context ? decodeBase64(item.context) : undefined);

async function signInput(ctx: EngineContext, input: SignInput) {
  const options = optionsOf(input);
  const { items, batch } = itemsOf(input);
  const key = await requireKey(ctx, input.name!);
  const outcomes = items.map((item) =>
    tryItem(() => {
      const data = decodeBase64(item.input ?? '');
      return signValue(key, item.key_version, data, { ...options, context: contextOf(item) });
    }),
  );
  return answer({
    items,
    outcomes,
    batch,
    toData: (v) => ({ signature: v.signature, key_version: v.version }),
    partialFailureCode: input.partial_failure_response_code,
  });
}

function verifyItem(key: StoredKey, item: BatchItem, options: SignOptions): boolean {
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
    outcomes: items.map((item) => tryItem(() => verifyItem(key, item, options))),
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
