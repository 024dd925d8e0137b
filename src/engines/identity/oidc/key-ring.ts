/**
 * A named key's versions over time: the key that signs, the next one (published ahead so relying
 * parties already hold it when it starts signing), and retired ones that stay published until
 * verification_ttl after they stopped signing. No HTTP in here; callers hold the mount's OIDC lock.
 */
import type { StorageView } from '../../../framework/storage-view.js';
import { generateSigningKey, type PrivateJwk, type PublicJwk, publicPart } from './signing-keys.js';
import {
  listNames,
  loadKey,
  loadPublicKey,
  loadRole,
  NAMED_KEYS,
  type NamedKey,
  PUBLIC_KEYS,
  ROLES,
  saveKey,
  savePublicKey,
} from './store.js';

const DAY_MS = 24 * 3600 * 1000;

async function newVersion(storage: StorageView, key: NamedKey): Promise<PrivateJwk> {
  const version = await generateSigningKey(key.algorithm);
  key.keyRing.push({ keyId: version.kid, expireAt: 0 });
  await savePublicKey(storage, publicPart(version));
  return version;
}

function retire(key: NamedKey, keyId: string | undefined, expireAt: number): void {
  const entry = key.keyRing.find((e) => e.keyId === keyId);
  if (entry) entry.expireAt = expireAt;
}

/**
 * Gives the key a fresh signing and next key (a new key, or one whose algorithm changed). Versions
 * it replaces stay published for verification_ttl, so tokens they signed still verify.
 */
export async function replaceVersions(storage: StorageView, key: NamedKey, now: number): Promise<void> {
  const retiredAt = now + key.verificationTtl * 1000;
  retire(key, key.signingKey?.kid, retiredAt);
  retire(key, key.nextSigningKey?.kid, retiredAt);
  key.signingKey = await newVersion(storage, key);
  key.nextSigningKey = await newVersion(storage, key);
}

/**
 * Vault's rotation: the next key starts signing, the one it replaces is retired after
 * `verificationTtl` seconds (the key's own unless overridden), and a new next key is made.
 */
export async function rotate(
  storage: StorageView,
  name: string,
  key: NamedKey,
  now: number,
  verificationTtl = key.verificationTtl,
): Promise<void> {
  retire(key, key.signingKey?.kid, now + verificationTtl * 1000);
  key.signingKey = key.nextSigningKey ?? (await newVersion(storage, key));
  key.nextSigningKey = await newVersion(storage, key);
  key.nextRotation = now + key.rotationPeriod * 1000;
  await saveKey(storage, name, key);
}

/** Rotates every key whose time has come (once, however long ago it was due); the soonest next rotation. */
export async function rotateDueKeys(storage: StorageView, now: number): Promise<number> {
  let soonest = now + DAY_MS;
  for (const name of await listNames(storage, NAMED_KEYS)) {
    const key = await loadKey(storage, name);
    // The default key has no versions until a role uses it; there is nothing to rotate yet.
    if (!key?.signingKey) continue;
    if (now >= key.nextRotation) await rotate(storage, name, key, now);
    soonest = Math.min(soonest, key.nextRotation);
  }
  return soonest;
}

/**
 * Drops retired versions past their expiry from every ring, deletes public keys no ring holds, and
 * returns the soonest expiry still ahead.
 */
export async function expirePublicKeys(storage: StorageView, now: number): Promise<number> {
  let soonest = now + DAY_MS;
  const inUse = new Set<string>();
  for (const name of await listNames(storage, NAMED_KEYS)) {
    const key = await loadKey(storage, name);
    if (!key) continue;
    const kept = key.keyRing.filter((e) => e.expireAt === 0 || e.expireAt > now);
    for (const entry of kept) {
      inUse.add(entry.keyId);
      if (entry.expireAt !== 0) soonest = Math.min(soonest, entry.expireAt);
    }
    if (kept.length !== key.keyRing.length) await saveKey(storage, name, { ...key, keyRing: kept });
  }
  for (const keyId of await listNames(storage, PUBLIC_KEYS)) {
    if (!inUse.has(keyId)) await storage.delete(PUBLIC_KEYS + keyId);
  }
  return soonest;
}

/**
 * The JWKS: every published version of every key a role uses (Vault publishes only those), the
 * signing, next and retired ones alike. Public members only.
 */
export async function publishedKeys(storage: StorageView, now: number): Promise<PublicJwk[]> {
  const keyNames = new Set<string>();
  for (const name of await listNames(storage, ROLES)) {
    const role = await loadRole(storage, name);
    if (role) keyNames.add(role.key);
  }
  const out: PublicJwk[] = [];
  for (const keyName of [...keyNames].sort()) {
    const key = await loadKey(storage, keyName);
    for (const entry of key?.keyRing ?? []) {
      if (entry.expireAt !== 0 && entry.expireAt <= now) continue; // expired, not yet pruned
      const jwk = await loadPublicKey(storage, entry.keyId);
      if (jwk) out.push(publicPart(jwk));
    }
  }
  return out;
}

/** How long a relying party may cache the JWKS: the shortest rotation period or verification TTL. */
export async function shortestKeyWindow(storage: StorageView): Promise<number | undefined> {
  let shortest: number | undefined;
  for (const name of await listNames(storage, NAMED_KEYS)) {
    const key = await loadKey(storage, name);
    if (!key) continue;
    const window = Math.min(key.rotationPeriod, key.verificationTtl);
    shortest = shortest === undefined ? window : Math.min(shortest, window);
  }
  return shortest;
}
