/** `rewrap/:name`: decrypt and re-encrypt under the latest (or a chosen) version, without showing the plaintext. */
import { invalid } from '../../../core/errors.js';
import type { Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, mapInChunks, parseBatch, syncChunkSize, tryItem } from '../batch.js';
import { decryptValue, encryptValue } from '../cipher.js';
import { isRsa } from '../key-types.js';
import {
  cipherFields,
  cipherInputOf,
  contextSetInAll,
  keyVersionField,
  requireKey,
  valueField,
} from './common.js';

const rewrapFields = {
  ...cipherFields,
  ciphertext: valueField('The ciphertext to re-encrypt.'),
  key_version: keyVersionField,
};

async function rewrap(ctx: EngineContext, input: Input<typeof rewrapFields>) {
  let items: BatchItem[];
  if (input.batch_input !== undefined) items = parseBatch(input.batch_input);
  else if (!input.ciphertext) throw invalid('missing ciphertext to decrypt');
  else {
    const { ciphertext, context, nonce, key_version, associated_data } = input;
    items = [{ ciphertext, context, nonce, key_version, associated_data }];
  }
  contextSetInAll(items);
  const key = await requireKey(ctx, input.name!);
  const outcomes = await mapInChunks(items, syncChunkSize(isRsa(key.type)), (item, i) =>
    tryItem(() => {
      const cipherInput = cipherInputOf(key, item, i);
      const plaintext = decryptValue(key, item.ciphertext ?? '', cipherInput);
      return encryptValue(key, item.key_version, plaintext, cipherInput);
    }),
  );
  return answer({
    items,
    outcomes,
    batch: input.batch_input !== undefined,
    toData: (v) => ({ ciphertext: v.ciphertext, key_version: v.version }),
    partialFailureCode: input.partial_failure_response_code,
  });
}

export const rewrapPaths = [
  definePath({
    pattern: 'rewrap/:name',
    fields: rewrapFields,
    operations: { update: rewrap },
    help: 'Re-encrypt a ciphertext under the newest key version; the plaintext never leaves the server.',
  }),
];
