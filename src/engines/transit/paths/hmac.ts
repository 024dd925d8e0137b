/** `hmac/:name(/:urlalgorithm)`: an HMAC of base64 input under the key's per-version HMAC key. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, parseBatch, tryItem } from '../batch.js';
import { nodeHashOf } from '../digest.js';
import { decodeBase64 } from '../encoding.js';
import { hmacValue } from '../signing.js';
import { cipherFields, keyVersionField, requireKey, valueField } from './common.js';

const hmacFields = {
  name: cipherFields.name,
  batch_input: cipherFields.batch_input,
  partial_failure_response_code: cipherFields.partial_failure_response_code,
  urlalgorithm: field.string('Hash algorithm, given in the path.', { max: 32 }),
  algorithm: field.string('sha2-256 (default), sha1, sha2-224/384/512, sha3-224/256/384/512.', { max: 32 }),
  input: valueField('Base64 data to authenticate.'),
  key_version: keyVersionField,
};

async function hmacInput(ctx: EngineContext, input: Input<typeof hmacFields>) {
  const hash = nodeHashOf(input.urlalgorithm ?? input.algorithm ?? 'sha2-256');
  let items: BatchItem[];
  if (input.batch_input !== undefined) items = parseBatch(input.batch_input);
  else if (input.input === undefined) throw invalid('missing input for HMAC');
  else items = [{ input: input.input, key_version: input.key_version }];
  const key = await requireKey(ctx, input.name!);
  return answer({
    items,
    outcomes: items.map((item) =>
      tryItem(() =>
        hmacValue(key, item.key_version ?? input.key_version, decodeBase64(item.input ?? ''), hash),
      ),
    ),
    batch: input.batch_input !== undefined,
    toData: (v) => ({ hmac: v.hmac, key_version: v.version }),
    partialFailureCode: input.partial_failure_response_code,
  });
}

export const hmacPaths = ['hmac/:name', 'hmac/:name/:urlalgorithm'].map((pattern) =>
  definePath({
    pattern,
    fields: hmacFields,
    operations: { update: hmacInput },
    help: 'HMAC base64 input with the named key; verify it with verify/:name.',
  }),
);
