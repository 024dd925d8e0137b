/** Fields and steps the encrypt, decrypt, rewrap and datakey paths share. */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import { andThen, type MaybePromise } from '../../../framework/maybe-promise.js';
import type { EngineContext } from '../../../framework/path.js';
import type { BatchItem } from '../batch.js';
import type { CipherInput } from '../cipher.js';
import { decodeBase64 } from '../encoding.js';
import { isSymmetric } from '../key-types.js';
import { loadKey, type StoredKey } from '../store.js';

const MAX_VALUE = 32 << 20; // the default request body limit

export const nameField = field.name('Name of the key.');
export const valueField = (description: string) => field.string(description, { max: MAX_VALUE });
export const contextField = field.string('Base64 context for key derivation; required for derived keys.', {
  max: 65536,
});
export const nonceField = field.string(
  'Refused on encrypt and rewrap, ignored on decrypt: a caller-chosen nonce is never used (CVE-2023-4680).',
  { max: 1024 },
);
export const keyVersionField = field.int('Key version to use; 0 or absent means the latest.');
export const batchField = field.any(
  'A list of items, each with the single-request fields; answered in order.',
);
export const partialFailureField = field.int(
  'HTTP status for a batch where some items failed and some did not.',
);
export const aadField = field.string('Base64 associated data, authenticated but not encrypted (AEAD keys).', {
  max: MAX_VALUE,
});

/** The fields every encrypt-style path takes besides its value: composed into each, never copied. */
export const cipherFields = {
  name: nameField,
  context: contextField,
  nonce: nonceField,
  associated_data: aadField,
  batch_input: batchField,
  partial_failure_response_code: partialFailureField,
};

export const NONCE_REFUSED = 'provided nonce not allowed for this key';

/** A base64 field of one item, decoded strictly; an empty or absent value is undefined. */
export function decodeOptional(value: string | undefined): Buffer | undefined {
  return value ? decodeBase64(value) : undefined;
}

/** The named key; a cached one at once (see MaybePromise). */
export function requireKey(ctx: EngineContext, name: string): MaybePromise<StoredKey> {
  return andThen(loadKey(ctx.storage, name), (key) => {
    if (!key) throw invalid('encryption key not found');
    return key;
  });
}

/** Vault requires the context in every item or in none, so it can decide `derived` on upsert. */
export function contextSetInAll(items: { context?: string }[]): boolean {
  const set = Boolean(items[0].context);
  if (items.some((item) => Boolean(item.context) !== set))
    throw invalid('context should be set either in all the request blocks or in none');
  return set;
}

/** An item's context and associated data, decoded; a caller's nonce is refused (CVE-2023-4680). */
export function cipherInputOf(key: StoredKey, item: BatchItem, index: number): CipherInput {
  if (item.nonce) throw invalid(NONCE_REFUSED);
  const aad = decodeOptional(item.associated_data);
  if (aad && !isSymmetric(key.type))
    throw invalid(`'[${index}].associated_data' provided for non-AEAD cipher suite ${key.type}`);
  return { context: decodeOptional(item.context), aad };
}
