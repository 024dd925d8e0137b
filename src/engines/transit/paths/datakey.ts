/** `datakey/:plaintext/:name`: a fresh random key, encrypted under the named key (and shown, for "plaintext"). */
import { randomBytes } from 'node:crypto';
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { encryptValue } from '../cipher.js';
import { cipherFields, cipherInputOf, keyVersionField, requireKey } from './common.js';

const datakeyFields = {
  name: cipherFields.name,
  context: cipherFields.context,
  nonce: cipherFields.nonce,
  plaintext: field.string('"plaintext" to get the key back too, or "wrapped" for only its ciphertext.', {
    max: 16,
  }),
  bits: field.int('Size of the data key: 128, 256 (default) or 512 bits.'),
  key_version: keyVersionField,
};

async function dataKey(ctx: EngineContext, input: Input<typeof datakeyFields>) {
  const kind = input.plaintext;
  if (kind !== 'plaintext' && kind !== 'wrapped')
    throw invalid('Invalid path, must be "plaintext" or "wrapped"');
  const bits = input.bits ?? 256;
  if (bits !== 128 && bits !== 256 && bits !== 512) throw invalid('invalid bits value');
  const key = await requireKey(ctx, input.name!);
  const secret = randomBytes(bits / 8);
  const cipherInput = cipherInputOf(key, { context: input.context, nonce: input.nonce }, 0);
  const { ciphertext, version } = encryptValue(key, input.key_version, secret, cipherInput);
  const data: Record<string, unknown> = { ciphertext, key_version: version };
  if (kind === 'plaintext') data.plaintext = secret.toString('base64');
  return { data };
}

export const datakeyPaths = [
  definePath({
    pattern: 'datakey/:plaintext/:name',
    fields: datakeyFields,
    operations: { update: dataKey },
    help: 'Generate a data key for local encryption, wrapped by the named key.',
  }),
];
