/** A key as `keys/:name` answers it: Vault's formatKeyPolicy shape (never any private material). */
import { ed25519FromSeed, ed25519PublicBytes } from './asymmetric.js';
import { abilitiesOf, isSymmetric, type KeyType } from './key-types.js';
import { isLive, type StoredKey } from './store.js';
import { deriveBytes } from './symmetric.js';

const CURVE_NAMES: Partial<Record<KeyType, string>> = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384' };

export function keyToWire(key: StoredKey, context?: Uint8Array): Record<string, unknown> {
  const can = abilitiesOf(key.type);
  const data: Record<string, unknown> = {
    name: key.name,
    type: key.type,
    derived: key.derived,
    deletion_allowed: key.deletionAllowed,
    min_available_version: 0,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    latest_version: key.latestVersion,
    exportable: key.exportable,
    allow_plaintext_backup: key.allowPlaintextBackup,
    supports_encryption: can.encryption,
    supports_decryption: can.encryption,
    supports_signing: can.signing,
    supports_derivation: can.derivation,
    auto_rotate_period: key.autoRotatePeriod,
    imported_key: false,
  };
  if (key.keySize) data.key_size = key.keySize;
  if (key.derived) {
    data.kdf = 'hkdf_sha256';
    data.convergent_encryption = key.convergent;
    // Vault keeps the convergent version in each key version since v3 and shows -1 here.
    if (key.convergent) data.convergent_encryption_version = -1;
  }
  // As in Vault, an hmac key lists no versions.
  if (isSymmetric(key.type)) data.keys = creationSeconds(key);
  else if (key.type !== 'hmac') data.keys = publicKeys(key, context);
  return data;
}

/** Vault lists only the versions in its key map: the archived ones, below the minimum, are left out. */
const liveVersions = (key: StoredKey) =>
  Object.entries(key.versions).filter(([version]) => isLive(key, Number(version)));

function creationSeconds(key: StoredKey): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [version, entry] of liveVersions(key)) out[version] = Math.floor(entry.createdAt / 1000);
  return out;
}

function publicKeys(key: StoredKey, context?: Uint8Array): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [version, entry] of liveVersions(key)) {
    let publicKey = entry.publicKey ?? '';
    // A derived Ed25519 key has a public key per context; without one there is nothing to show.
    if (key.derived) publicKey = context?.length ? derivedEd25519Public(entry.seed!, context) : '';
    out[version] = {
      name: CURVE_NAMES[key.type] ?? key.type,
      public_key: publicKey,
      certificate_chain: '',
      creation_time: new Date(entry.createdAt).toISOString(),
    };
  }
  return out;
}

/** The Ed25519 seed HKDF derives from the stored key for one context (Vault's DeriveKey). */
export function derivedEd25519Seed(seed: string, context: Uint8Array): Buffer {
  return deriveBytes(Buffer.from(seed, 'base64'), context, 32);
}

function derivedEd25519Public(seed: string, context: Uint8Array): string {
  return ed25519PublicBytes(ed25519FromSeed(derivedEd25519Seed(seed, context))).toString('base64');
}
