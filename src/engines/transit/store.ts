/**
 * Named keys ("policies" in Vault): every version's material in one record at `policy/<name>`, read
 * and written only through the mount's storage view, so it sits behind the barrier like any secret.
 */
import { randomBytes } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import type { DeepReadonly } from '../../framework/deep-freeze.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { StorageView } from '../../framework/storage-view.js';
import { generateKeyPairFor } from './asymmetric.js';
import { encodeBase64 } from './encoding.js';
import { HMAC_MIN_KEY_SIZE, isSymmetric, type KeyType } from './key-types.js';
import { keyBytesOf } from './symmetric.js';

export interface KeyVersion {
  /** base64: the symmetric or HMAC key. */
  key?: string;
  /** base64: the key `hmac/` uses for every type but `hmac` (Vault's per-version HMACKey). */
  hmacKey?: string;
  privateKey?: string;
  seed?: string;
  publicKey?: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface TransitKey {
  name: string;
  type: KeyType;
  derived: boolean;
  convergent: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  deletionAllowed: boolean;
  autoRotatePeriod: number;
  keySize?: number;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  versions: Record<string, KeyVersion>;
}

export type StoredKey = DeepReadonly<TransitKey>;

export interface NewKeyOptions {
  type: KeyType;
  derived: boolean;
  convergent: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  autoRotatePeriod: number;
  keySize?: number;
}

const keyPath = (name: string) => `policy/${name}`;

/** The key as stored, frozen and possibly shared with other readers: look, don't modify. */
export function loadKey(storage: StorageView, name: string): MaybePromise<StoredKey | undefined> {
  return storage.readJson<TransitKey>(keyPath(name));
}

/** A private copy to change and save. */
export function editKey(storage: StorageView, name: string): MaybePromise<TransitKey | undefined> {
  return storage.getJson<TransitKey>(keyPath(name));
}

export const saveKey = (storage: StorageView, key: TransitKey) => storage.putJson(keyPath(key.name), key);
export const deleteKey = (storage: StorageView, name: string) => storage.delete(keyPath(name));

export async function listKeys(storage: StorageView): Promise<string[]> {
  return (await storage.list('policy/')).filter((name) => !name.endsWith('/'));
}

async function newVersion(key: TransitKey, now: number): Promise<KeyVersion> {
  const version: KeyVersion = { createdAt: now };
  if (key.type !== 'hmac') version.hmacKey = encodeBase64(randomBytes(32));
  if (isSymmetric(key.type)) version.key = encodeBase64(randomBytes(keyBytesOf(key.type)));
  else if (key.type === 'hmac') version.key = encodeBase64(randomBytes(key.keySize ?? HMAC_MIN_KEY_SIZE));
  else Object.assign(version, await generateKeyPairFor(key.type));
  return version;
}

export async function createKey(name: string, options: NewKeyOptions, now: number): Promise<TransitKey> {
  const key: TransitKey = {
    name,
    ...options,
    deletionAllowed: false,
    latestVersion: 0,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    versions: {},
  };
  return rotateKey(key, now);
}

/** Adds a new latest version; old versions stay for decryption until min_decryption_version passes them. */
export async function rotateKey(key: TransitKey, now: number): Promise<TransitKey> {
  const version = await newVersion(key, now);
  key.latestVersion += 1;
  key.versions[String(key.latestVersion)] = version;
  return key;
}

/**
 * Key material for one version, refusing versions that do not exist (Vault's safeGetKeyEntry). A
 * version below min_decryption_version counts as absent: Vault moves it to its archive, out of reach
 * of every operation, and brings it back only if the minimum is lowered again.
 */
export function versionOf(key: StoredKey, version: number): DeepReadonly<KeyVersion> {
  const entry = isLive(key, version) ? key.versions[String(version)] : undefined;
  if (!entry) throw invalid('no such key version');
  return entry;
}

/** Whether a version is outside Vault's archive, so it may be used and is listed on read. */
export const isLive = (key: StoredKey, version: number) => version >= key.minDecryptionVersion;

/** Vault's rule for the version an encrypt, sign, HMAC or datakey uses; `what` names the operation. */
export function pickWriteVersion(key: StoredKey, requested: number | undefined, what: string): number {
  const version = requested ?? 0;
  if (version === 0) return key.latestVersion;
  if (version < 0) throw invalid(`requested version for ${what} is negative`);
  if (version > key.latestVersion)
    throw invalid(`requested version for ${what} is higher than the latest key version`);
  if (version < key.minEncryptionVersion)
    throw invalid(`requested version for ${what} is less than the minimum encryption key version`);
  return version;
}

/** Vault's checks on the version named in a ciphertext, signature or HMAC. */
export function checkReadVersion(key: StoredKey, version: number, what: string): number {
  if (version > key.latestVersion) throw invalid(`invalid ${what}: version is too new`);
  if (version < key.minDecryptionVersion)
    throw invalid('ciphertext or signature version is disallowed by policy (too old)');
  return version;
}
