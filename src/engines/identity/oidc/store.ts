/**
 * What the identity token feature keeps, under Vault's `oidc_tokens/` prefix of the identity mount's
 * storage view (behind the barrier): the issuer config, named keys with their private signing keys,
 * the public key of every key version still published, and roles.
 */
import type { StorageView } from '../../../framework/storage-view.js';
import type { PrivateJwk, PublicJwk, SigningAlgorithm } from './signing-keys.js';

const PREFIX = 'oidc_tokens/';
const CONFIG = `${PREFIX}config/`;
export const NAMED_KEYS = `${PREFIX}named_keys/`;
export const PUBLIC_KEYS = `${PREFIX}public_keys/`;
export const ROLES = `${PREFIX}roles/`;

export interface OidcConfig {
  /** Empty: the server's api_addr is the issuer. */
  issuer: string;
}

/** One key version in a named key's ring; `expireAt` (ms) is 0 while it signs or is next to sign. */
export interface RingEntry {
  keyId: string;
  expireAt: number;
}

export interface NamedKey {
  algorithm: SigningAlgorithm;
  /** Seconds. */
  rotationPeriod: number;
  verificationTtl: number;
  allowedClientIds: string[];
  keyRing: RingEntry[];
  /** Absent on the `default` key until a role first uses it (Vault generates it lazily). */
  signingKey?: PrivateJwk;
  nextSigningKey?: PrivateJwk;
  /** Milliseconds since the epoch. */
  nextRotation: number;
}

export interface OidcRole {
  key: string;
  /** The claims template, JSON text (stored decoded when it was given in base64). */
  template: string;
  clientId: string;
  /** Seconds. */
  ttl: number;
}

export async function loadConfig(storage: StorageView): Promise<OidcConfig> {
  return (await storage.getJson<OidcConfig>(CONFIG)) ?? { issuer: '' };
}

export const saveConfig = (storage: StorageView, config: OidcConfig) => storage.putJson(CONFIG, config);

export const loadKey = (storage: StorageView, name: string) => storage.getJson<NamedKey>(NAMED_KEYS + name);
export const saveKey = (storage: StorageView, name: string, key: NamedKey) =>
  storage.putJson(NAMED_KEYS + name, key);

export const loadRole = (storage: StorageView, name: string) => storage.getJson<OidcRole>(ROLES + name);
export const saveRole = (storage: StorageView, name: string, role: OidcRole) =>
  storage.putJson(ROLES + name, role);

export const loadPublicKey = (storage: StorageView, keyId: string) =>
  storage.getJson<PublicJwk>(PUBLIC_KEYS + keyId);
export const savePublicKey = (storage: StorageView, key: PublicJwk) =>
  storage.putJson(PUBLIC_KEYS + key.kid, key);

/** Leaf names under a folder (the storage list also returns sub-folders, ending in `/`). */
export async function listNames(storage: StorageView, folder: string): Promise<string[]> {
  return (await storage.list(folder)).filter((name) => !name.endsWith('/'));
}

/** Roles that sign with the named key, by role name. */
export async function rolesUsingKey(storage: StorageView, keyName: string): Promise<Map<string, OidcRole>> {
  const out = new Map<string, OidcRole>();
  for (const name of await listNames(storage, ROLES)) {
    const role = await loadRole(storage, name);
    if (role?.key === keyName) out.set(name, role);
  }
  return out;
}
