/** `keys/`, `keys/:name`, `keys/:name/config`, `keys/:name/rotate`: create, read, list, tune, rotate, delete. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { decodeBase64 } from '../encoding.js';
import { checkKeyOptions, HMAC_MAX_KEY_SIZE, HMAC_MIN_KEY_SIZE, parseKeyType } from '../key-types.js';
import type { KeyLocks } from '../locks.js';
import {
  createKey,
  deleteKey,
  editKey,
  listKeys,
  loadKey,
  rotateKey,
  saveKey,
  type TransitKey,
} from '../store.js';
import { keyToWire } from '../wire.js';

const nameField = field.name('Name of the key.');

const keyFields = {
  name: nameField,
  type: field.string(
    'Key type: aes256-gcm96 (default), aes128-gcm96, chacha20-poly1305, ed25519, ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096 or hmac.',
    { max: 64 },
  ),
  derived: field.bool('Derive a key per request from a context (HKDF-SHA256).'),
  convergent_encryption: field.bool('Same plaintext and context give the same ciphertext; needs derived.'),
  exportable: field.bool('Allow the key to be exported (once set, cannot be unset).'),
  allow_plaintext_backup: field.bool('Allow a plaintext backup of the key (once set, cannot be unset).'),
  context: field.string('Base64 context: on read of a derived Ed25519 key, show its public key for it.', {
    max: 65536,
  }),
  auto_rotate_period: field.duration('Automatic rotation period; only 0 (off) is supported.'),
  key_size: field.int('HMAC key size in bytes (32 to 512); only for type hmac.'),
};

const configFields = {
  name: nameField,
  min_decryption_version: field.int('Oldest version that may decrypt or verify.'),
  min_encryption_version: field.int('Oldest version that may encrypt or sign; 0 means the latest only.'),
  deletion_allowed: field.bool('Whether the key may be deleted.'),
  exportable: field.bool('Allow export; once set, cannot be unset.'),
  allow_plaintext_backup: field.bool('Allow plaintext backup; once set, cannot be unset.'),
  auto_rotate_period: field.duration('Automatic rotation period; only 0 (off) is supported.'),
};

/** Coffer does not rotate keys on a timer yet, so it refuses a period rather than ignore it. */
function checkAutoRotate(period: number | undefined): number {
  if (!period) return 0;
  if (period < 3600) throw invalid('auto rotate period must be 0 to disable or at least an hour');
  throw invalid('auto_rotate_period is not supported by this server yet; rotate with keys/:name/rotate');
}

function keySizeFor(type: string, keySize: number | undefined): number | undefined {
  if (!keySize) return type === 'hmac' ? HMAC_MIN_KEY_SIZE : undefined;
  if (type !== 'hmac') throw invalid(`key_size is not valid for algorithm ${type}`);
  if (keySize < HMAC_MIN_KEY_SIZE || keySize > HMAC_MAX_KEY_SIZE)
    throw invalid(`invalid key_size ${keySize}`);
  return keySize;
}

function writeKey(locks: KeyLocks) {
  return async (ctx: EngineContext, input: Input<typeof keyFields>) => {
    const name = input.name!;
    const autoRotatePeriod = checkAutoRotate(input.auto_rotate_period);
    const derived = input.derived ?? false;
    const convergent = input.convergent_encryption ?? false;
    if (convergent && !derived) throw invalid('convergent encryption requires derivation to be enabled');
    const type = parseKeyType(input.type ?? 'aes256-gcm96');
    const keySize = keySizeFor(type, input.key_size);
    checkKeyOptions(type, derived, convergent);
    return locks.run(ctx, name, async () => {
      const existing = await loadKey(ctx.storage, name);
      if (existing) return { data: keyToWire(existing), warnings: [`key ${name} already existed`] };
      const options = {
        type,
        derived,
        convergent,
        exportable: input.exportable ?? false,
        allowPlaintextBackup: input.allow_plaintext_backup ?? false,
        autoRotatePeriod,
        ...(keySize ? { keySize } : {}),
      };
      const key = await createKey(name, options, ctx.clock.now());
      await saveKey(ctx.storage, key);
      return { data: keyToWire(key) };
    });
  };
}

async function readKey(ctx: EngineContext, input: Input<typeof keyFields>) {
  const key = await loadKey(ctx.storage, input.name!);
  if (!key) return undefined;
  let context: Buffer | undefined;
  if (input.context) {
    try {
      context = decodeBase64(input.context);
    } catch {
      throw invalid('failed to base64-decode context');
    }
  }
  return { data: keyToWire(key, context) };
}

function removeKey(locks: KeyLocks) {
  return (ctx: EngineContext, input: Input<typeof keyFields>) =>
    locks.run(ctx, input.name!, async () => {
      const key = await loadKey(ctx.storage, input.name!);
      const refusal = !key
        ? 'could not delete key; not found'
        : !key.deletionAllowed && 'deletion is not allowed for this key';
      if (refusal) throw invalid(`error deleting policy ${input.name}: ${refusal}`);
      await deleteKey(ctx.storage, input.name!);
    });
}

/** Vault's min_decryption_version rules; returns its warning when 0 was asked for. */
function applyMinDecryption(key: TransitKey, requested: number | undefined): string[] {
  if (requested === undefined) return [];
  if (requested < 0) throw invalid('min decryption version cannot be negative');
  const version = requested === 0 ? 1 : requested;
  if (version !== key.minDecryptionVersion && version > key.latestVersion)
    throw invalid(
      `cannot set min decryption version of ${version}, latest key version is ${key.latestVersion}`,
    );
  key.minDecryptionVersion = version;
  return requested === 0 ? ['since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1'] : [];
}

function applyMinEncryption(key: TransitKey, requested: number | undefined): void {
  if (requested !== undefined) {
    if (requested < 0) throw invalid('min encryption version cannot be negative');
    if (requested !== key.minEncryptionVersion && requested > key.latestVersion)
      throw invalid(
        `cannot set min encryption version of ${requested}, latest key version is ${key.latestVersion}`,
      );
    key.minEncryptionVersion = requested;
  }
  if (key.minEncryptionVersion > 0 && key.minEncryptionVersion < key.minDecryptionVersion)
    throw invalid(
      `cannot set min encryption/decryption values; min encryption version of ${key.minEncryptionVersion} must be greater than or equal to min decryption version of ${key.minDecryptionVersion}`,
    );
}

function configureKey(locks: KeyLocks) {
  return (ctx: EngineContext, input: Input<typeof configFields>) =>
    locks.run(ctx, input.name!, async () => {
      const key = await editKey(ctx.storage, input.name!);
      if (!key) throw invalid(`no existing key named ${input.name} could be found`);
      const warnings = applyMinDecryption(key, input.min_decryption_version);
      applyMinEncryption(key, input.min_encryption_version);
      if (input.deletion_allowed !== undefined) key.deletionAllowed = input.deletion_allowed;
      // Export and plaintext backup, once allowed, stay allowed.
      if (input.exportable) key.exportable = true;
      if (input.allow_plaintext_backup) key.allowPlaintextBackup = true;
      if (input.auto_rotate_period !== undefined)
        key.autoRotatePeriod = checkAutoRotate(input.auto_rotate_period);
      await saveKey(ctx.storage, key);
      return { data: keyToWire(key), ...(warnings.length ? { warnings } : {}) };
    });
}

function rotate(locks: KeyLocks) {
  return (ctx: EngineContext, input: { name?: string }) =>
    locks.run(ctx, input.name!, async () => {
      const key = await editKey(ctx.storage, input.name!);
      if (!key) throw invalid('key not found');
      await saveKey(ctx.storage, await rotateKey(key, ctx.clock.now()));
      return { data: keyToWire(key) };
    });
}

export function keyPaths(locks: KeyLocks) {
  return [
    definePath({
      pattern: 'keys/',
      operations: { list: async (ctx) => ({ data: { keys: await listKeys(ctx.storage) } }) },
      help: 'List the named keys.',
    }),
    definePath({
      pattern: 'keys/:name',
      fields: keyFields,
      operations: { read: readKey, update: writeKey(locks), delete: removeKey(locks) },
      help: 'Create (a write to a new name), read or delete a named key.',
    }),
    definePath({
      pattern: 'keys/:name/config',
      fields: configFields,
      operations: { update: configureKey(locks) },
      help: 'Tune a key: minimum versions, deletion, export and backup.',
    }),
    definePath({
      pattern: 'keys/:name/rotate',
      fields: { name: nameField },
      operations: { update: rotate(locks) },
      help: 'Add a new version of the key; new encryptions use it, older versions still decrypt.',
    }),
  ];
}
