/**
 * Secret IDs: stored under `secret_id/<HMAC of role name>/<HMAC of secret ID>` with the role's key,
 * never in clear, plus an accessor index `accessor/<salted hash>` that names the owning role. Every
 * change to one secret ID runs under its lock, so a use count is spent exactly once.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { internal } from '../../core/errors.js';
import type { DeepReadonly } from '../../framework/deep-freeze.js';
import type { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { EngineContext } from '../../framework/path.js';
import { jsonBytes, type StorageView } from '../../framework/storage-view.js';
import { hmacHex, loadRole, mountSalt, type RoleView } from './roles.js';

export interface SecretIdEntry {
  secretIdHmac: string;
  accessor: string;
  /** Logins left; 0 means unlimited. */
  numUses: number;
  ttl: number;
  creationTime: number;
  /** Unix ms; 0 means it never expires. */
  expirationTime: number;
  lastUpdatedTime: number;
  metadata: Record<string, string>;
  cidrList: string[];
  tokenBoundCidrs: string[];
}

export type SecretIdSettings = Pick<
  SecretIdEntry,
  'numUses' | 'ttl' | 'metadata' | 'cidrList' | 'tokenBoundCidrs'
>;

interface AccessorIndex {
  roleName: string;
  secretIdHmac: string;
}

type Deps = Pick<EngineContext, 'storage' | 'clock' | 'system'>;

/** Each role's folder, kept per role object: a login's role is the barrier's shared cached one. */
const folders = new WeakMap<RoleView, string>();

function folderOf(role: RoleView): string {
  let folder = folders.get(role);
  if (folder === undefined) {
    folder = `secret_id/${hmacHex(role.hmacKey, role.name)}/`;
    folders.set(role, folder);
  }
  return folder;
}

async function accessorKey(storage: StorageView, accessor: string): Promise<string> {
  return `accessor/${hmacHex(await mountSalt(storage), accessor)}`;
}

export function isExpired(entry: Pick<SecretIdEntry, 'expirationTime'>, now: number): boolean {
  return entry.expirationTime !== 0 && now >= entry.expirationTime;
}

/** The lock of one secret ID; keyed by mount too, since one engine object serves every mount of its type. */
function lockKey(deps: Deps, secretIdHmac: string): string {
  return `${deps.system.mountUuid}/${secretIdHmac}`;
}

export class SecretIds {
  constructor(private readonly locks: KeyedMutex) {}

  async create(deps: Deps, role: RoleView, secretId: string, settings: SecretIdSettings) {
    const secretIdHmac = hmacHex(role.hmacKey, secretId);
    const key = folderOf(role) + secretIdHmac;
    return this.locks.run(lockKey(deps, secretIdHmac), async () => {
      // Vault returns this as a plain error, so it is a 500.
      if (await deps.storage.has(key))
        throw internal('failed to store secret_id: SecretID is already registered');
      const now = deps.clock.now();
      const entry: SecretIdEntry = {
        ...settings,
        secretIdHmac,
        accessor: randomUUID(),
        creationTime: now,
        lastUpdatedTime: now,
        expirationTime: settings.ttl > 0 ? now + settings.ttl * 1000 : 0,
      };
      // The entry and its accessor index are written together: neither exists without the other.
      const index: AccessorIndex = { roleName: role.name, secretIdHmac };
      await deps.storage.transaction([
        { op: 'put', key: await accessorKey(deps.storage, entry.accessor), value: jsonBytes(index) },
        { op: 'put', key, value: jsonBytes(entry) },
      ]);
      return entry;
    });
  }

  /** The live entry for a secret ID of this role (expired ones count as absent). */
  async lookup(deps: Deps, role: RoleView, secretId: string): Promise<SecretIdEntry | undefined> {
    const entry = await this.read(deps.storage, role, hmacHex(role.hmacKey, secretId));
    return entry && !isExpired(entry, deps.clock.now()) ? entry : undefined;
  }

  /**
   * The entry behind an accessor, only when the accessor belongs to `role`: role A's endpoints can
   * neither read nor destroy role B's secret IDs (CVE-2023-24999).
   */
  async byAccessor(deps: Deps, role: RoleView, accessor: string) {
    const index = await deps.storage.getJson<AccessorIndex>(await accessorKey(deps.storage, accessor));
    if (!index) return { found: 'none' as const };
    const entry =
      index.roleName === role.name ? await this.read(deps.storage, role, index.secretIdHmac) : undefined;
    return entry ? { found: 'own' as const, entry } : { found: 'other-role' as const };
  }

  async destroy(deps: Deps, role: RoleView, secretIdHmac: string): Promise<void> {
    await this.locks.run(lockKey(deps, secretIdHmac), async () => {
      const entry = await this.read(deps.storage, role, secretIdHmac);
      if (entry) await this.remove(deps.storage, role, entry);
    });
  }

  /** The accessors of the role's live secret IDs (expired ones are gone once Vault's periodic tidy runs). */
  async accessors(deps: Deps, role: RoleView): Promise<string[]> {
    const accessors: string[] = [];
    const now = deps.clock.now();
    for (const hmac of await deps.storage.list(folderOf(role))) {
      const entry = await this.read(deps.storage, role, hmac);
      if (entry && !isExpired(entry, now)) accessors.push(entry.accessor);
    }
    return accessors.sort();
  }

  /** Deletes every secret ID of a role (the role is being deleted). */
  async flush(deps: Deps, role: RoleView): Promise<void> {
    for (const hmac of await deps.storage.list(folderOf(role))) await this.destroy(deps, role, hmac);
  }

  /**
   * Spends one use of a secret ID for a login. `check` runs under the lock before anything is spent
   * and throws to refuse (CIDR rules); the decrement is persisted before this resolves, so the token
   * is minted only for a use already recorded.
   */
  async consume(
    deps: Deps,
    role: RoleView,
    secretId: string,
    check: (entry: DeepReadonly<SecretIdEntry>) => void,
  ): Promise<DeepReadonly<SecretIdEntry> | undefined> {
    const secretIdHmac = hmacHex(role.hmacKey, secretId);
    return this.locks.run(lockKey(deps, secretIdHmac), async () => {
      // The barrier's shared copy: a login only reads it, and a spent use writes a new entry.
      const entry = ownEntry(
        await deps.storage.readJson<SecretIdEntry>(folderOf(role) + secretIdHmac),
        secretIdHmac,
      );
      if (!entry) return undefined;
      const now = deps.clock.now();
      if (isExpired(entry, now)) {
        await this.remove(deps.storage, role, entry);
        return undefined;
      }
      check(entry);
      if (entry.numUses === 1) await this.remove(deps.storage, role, entry);
      else if (entry.numUses > 1) {
        await deps.storage.putJson(folderOf(role) + secretIdHmac, {
          ...entry,
          numUses: entry.numUses - 1,
          lastUpdatedTime: now,
        });
      }
      return entry;
    });
  }

  /** Removes expired secret IDs and accessor entries that point at nothing; returns how many went. */
  async tidy(deps: Deps, roles: RoleView[]): Promise<number> {
    let removed = 0;
    const now = deps.clock.now();
    for (const role of roles) {
      for (const hmac of await deps.storage.list(folderOf(role))) {
        await this.locks.run(lockKey(deps, hmac), async () => {
          const entry = await this.read(deps.storage, role, hmac);
          if (entry && isExpired(entry, now)) {
            await this.remove(deps.storage, role, entry);
            removed++;
          }
        });
      }
    }
    return removed + (await this.tidyAccessors(deps));
  }

  private async tidyAccessors(deps: Deps): Promise<number> {
    let removed = 0;
    for (const key of await deps.storage.list('accessor/')) {
      const index = await deps.storage.getJson<AccessorIndex>(`accessor/${key}`);
      if (!index) continue;
      await this.locks.run(lockKey(deps, index.secretIdHmac), async () => {
        // The role as it is now, not as tidy first listed it: a role created (or re-created with a new
        // key) since then has live secret IDs whose accessors must not be dropped.
        const role = await loadRole(deps.storage, index.roleName);
        if (role && (await this.read(deps.storage, role, index.secretIdHmac))) return;
        await deps.storage.delete(`accessor/${key}`);
        removed++;
      });
    }
    return removed;
  }

  private async read(storage: StorageView, role: RoleView, secretIdHmac: string) {
    return ownEntry(await storage.getJson<SecretIdEntry>(folderOf(role) + secretIdHmac), secretIdHmac);
  }

  private async remove(
    storage: StorageView,
    role: RoleView,
    entry: Pick<SecretIdEntry, 'accessor' | 'secretIdHmac'>,
  ): Promise<void> {
    await storage.transaction([
      { op: 'delete', key: await accessorKey(storage, entry.accessor) },
      { op: 'delete', key: folderOf(role) + entry.secretIdHmac },
    ]);
  }
}

/** The entry, if it is the one for this HMAC; constant-time, as the HMAC derives from the secret ID. */
function ownEntry<T extends { readonly secretIdHmac: string }>(entry: T | undefined, secretIdHmac: string) {
  return entry && sameHex(entry.secretIdHmac, secretIdHmac) ? entry : undefined;
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
