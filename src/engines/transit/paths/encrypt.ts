/** `encrypt/:name`: one plaintext or a batch; a write to a missing key creates it (create capability). */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalRequest, LogicalResponse } from '../../../framework/logical.js';
import { andThen, type MaybePromise } from '../../../framework/maybe-promise.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { answer, type BatchItem, parseBatch, tryItem } from '../batch.js';
import { encryptValue } from '../cipher.js';
import { decodeBase64 } from '../encoding.js';
import { checkKeyOptions, isRsa, isSymmetric, parseKeyType } from '../key-types.js';
import type { KeyLocks } from '../locks.js';
import { createKey, loadKey, type StoredKey, saveKey } from '../store.js';
import {
  cipherFields,
  cipherInputOf,
  contextSetInAll,
  keyVersionField,
  requireKey,
  valueField,
} from './common.js';

const encryptFields = {
  ...cipherFields,
  plaintext: valueField('Base64 plaintext to encrypt.'),
  key_version: keyVersionField,
  type: field.string('Type of the key a write to a missing name creates (aes256-gcm96 by default).', {
    max: 64,
  }),
  convergent_encryption: field.bool('Whether a key this write creates uses convergent encryption.'),
};
type EncryptInput = Input<typeof encryptFields>;

function itemsOf(input: EncryptInput): { items: BatchItem[]; batch: boolean } {
  if (input.batch_input !== undefined) return { items: parseBatch(input.batch_input), batch: true };
  if (input.plaintext === undefined) throw invalid('missing plaintext to encrypt');
  const { plaintext, context, nonce, key_version, associated_data } = input;
  return { items: [{ plaintext, context, nonce, key_version, associated_data }], batch: false };
}

/** Vault's upsert: only the types encrypt can use, derived when a context came, under the key's lock. */
async function upsertKey(
  ctx: EngineContext,
  locks: KeyLocks,
  input: EncryptInput,
  derived: boolean,
): Promise<{ key: StoredKey; created: boolean }> {
  const convergent = input.convergent_encryption ?? false;
  if (convergent && !derived)
    throw invalid('convergent encryption requires derivation to be enabled, so context is required');
  const typeName = input.type ?? 'aes256-gcm96';
  if (typeName.startsWith('ecdsa-')) throw invalid(`key type ${typeName} not supported for this operation`);
  const type = parseKeyType(typeName);
  // Current Vault (path_encrypt.go) upserts the AEAD and RSA types, the ones encrypt can use.
  if (!isSymmetric(type) && !isRsa(type)) throw invalid(`unknown key type ${typeName}`);
  checkKeyOptions(type, derived, convergent);
  return locks.run(ctx, input.name!, async () => {
    const existing = await loadKey(ctx.storage, input.name!);
    if (existing) return { key: existing, created: false };
    const options = {
      type,
      derived,
      convergent,
      exportable: false,
      allowPlaintextBackup: false,
      autoRotatePeriod: 0,
    };
    const key = await createKey(input.name!, options, ctx.clock.now());
    await saveKey(ctx.storage, key);
    return { key, created: true };
  });
}

function encryptItem(key: StoredKey, item: BatchItem, index: number) {
  const cipherInput = cipherInputOf(key, item, index);
  return encryptValue(key, item.key_version, decodeBase64(item.plaintext ?? ''), cipherInput);
}

function encrypt(locks: KeyLocks) {
  // Not async: with an existing key, cached, the request is answered without a turn (see MaybePromise).
  return (ctx: EngineContext, input: EncryptInput, req: LogicalRequest): MaybePromise<LogicalResponse> => {
    const { items, batch } = itemsOf(input);
    const derived = contextSetInAll(items);
    const encryptAll = (key: StoredKey, warnings?: string[]) =>
      answer({
        items,
        outcomes: items.map((item, i) => tryItem(() => encryptItem(key, item, i))),
        batch,
        toData: (v) => ({ ciphertext: v.ciphertext, key_version: v.version }),
        partialFailureCode: input.partial_failure_response_code,
        warnings,
      });
    // `create`: the ACL found no key, so this request may make it (upsert).
    if (req.operation !== 'create') return andThen(requireKey(ctx, input.name!), (key) => encryptAll(key));
    return upsertKey(ctx, locks, input, derived).then(({ key, created }) =>
      encryptAll(
        key,
        created
          ? undefined
          : ['Attempted creation of the key during the encrypt operation, but it was created beforehand'],
      ),
    );
  };
}

export function encryptPaths(locks: KeyLocks) {
  return [
    definePath({
      pattern: 'encrypt/:name',
      fields: encryptFields,
      exists: (ctx, input) => andThen(loadKey(ctx.storage, input.name!), (key) => key !== undefined),
      operations: { create: encrypt(locks), update: encrypt(locks) },
      help: 'Encrypt a base64 plaintext, or a batch, with the named key.',
    }),
  ];
}
