/** `decrypt/:name`: one ciphertext or a batch; never creates a key. */
import { invalid } from '../../../core/errors.js';
import type { Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { andThen, type MaybePromise } from '../../../framework/maybe-promise.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, mapInChunks, parseBatch, syncChunkSize, tryItem } from '../batch.js';
import { decryptValue } from '../cipher.js';
import { isRsa } from '../key-types.js';
import type { StoredKey } from '../store.js';
import {
  cipherFields,
  cipherInputOf,
  contextSetInAll,
  decodeOptional,
  requireKey,
  valueField,
} from './common.js';

const decryptFields = {
  ...cipherFields,
  ciphertext: valueField('The ciphertext, "vault:v<N>:<base64>".'),
};

function itemsOf(input: Input<typeof decryptFields>): { items: BatchItem[]; batch: boolean } {
  if (input.batch_input !== undefined) {
    const items = parseBatch(input.batch_input);
    items.forEach((item, i) => {
      if (item.ciphertext === undefined)
        throw invalid(`failed to parse batch input: '[${i}].ciphertext' missing ciphertext to decrypt`);
    });
    return { items, batch: true };
  }
  if (!input.ciphertext) throw invalid('missing ciphertext to decrypt');
  const { ciphertext, context, nonce, associated_data } = input;
  return { items: [{ ciphertext, context, nonce, associated_data }], batch: false };
}

export function decryptItem(key: StoredKey, item: BatchItem, index: number): string {
  // Vault decodes a nonce here but uses it only with convergent version 1 keys, which this server
  // never creates; encrypt and rewrap still refuse one (CVE-2023-4680).
  decodeOptional(item.nonce);
  const input = cipherInputOf(key, { ...item, nonce: undefined }, index);
  return decryptValue(key, item.ciphertext ?? '', input).toString('base64');
}

/** Not async: a cached key and a single item decrypted at once cost no turn (see MaybePromise). */
function decrypt(ctx: EngineContext, input: Input<typeof decryptFields>): MaybePromise<LogicalResponse> {
  const { items, batch } = itemsOf(input);
  contextSetInAll(items);
  return andThen(requireKey(ctx, input.name!), (key) => {
    const outcomes = mapInChunks(items, syncChunkSize(isRsa(key.type)), (item, i) =>
      tryItem(() => decryptItem(key, item, i)),
    );
    return andThen(outcomes, (done) =>
      answer({
        items,
        outcomes: done,
        batch,
        toData: (plaintext) => ({ plaintext }),
        failedFields: { plaintext: '' },
        partialFailureCode: input.partial_failure_response_code,
      }),
    );
  });
}

export const decryptPaths = [
  definePath({
    pattern: 'decrypt/:name',
    fields: decryptFields,
    operations: { update: decrypt },
    help: 'Decrypt a ciphertext, or a batch, with the named key; the plaintext comes back base64.',
  }),
];
