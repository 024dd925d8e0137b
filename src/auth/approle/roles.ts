/**
 * AppRole roles in the mount's storage: `role/<lower-cased name>` holds the role, and
 * `role_id/<salted hash>` maps a role ID back to its role (role IDs never appear in storage keys).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type CofferError, invalid } from '../../core/errors.js';
import type { DeepReadonly } from '../../framework/deep-freeze.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import { memoizeString } from '../../framework/memo.js';
import { jsonBytes, type StorageView } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';
import { defaultTokenParams, type TokenParams } from '../token-fields.js';

export interface RoleEntry {
  /** Lower-cased: role names are case-insensitive, as in Vault. */
  name: string;
  roleId: string;
  /** Per-role key for the HMACs that index its secret IDs. */
  hmacKey: string;
  bindSecretId: boolean;
  secretIdBoundCidrs: string[];
  secretIdNumUses: number;
  secretIdTtl: number;
  /** Reported and fixed at creation; Coffer does not replicate, so local and global secret IDs are stored alike. */
  localSecretIds: boolean;
  token: TokenParams;
}

/** Longest role ID or secret ID accepted (Vault's HMAC input limit). */
export const MAX_CREDENTIAL_LENGTH = 4096;

export function normaliseRoleName(name: string): string {
  return name.toLowerCase();
}

export function newRole(name: string): RoleEntry {
  return {
    name: normaliseRoleName(name),
    roleId: '',
    hmacKey: randomBytes(32).toString('base64'),
    bindSecretId: true,
    secretIdBoundCidrs: [],
    secretIdNumUses: 0,
    secretIdTtl: 0,
    localSecretIds: false,
    token: defaultTokenParams(),
  };
}

export function hmacHex(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/** A role as the barrier's cache shares it with every reader: frozen, for paths that only look. */
export type RoleView = DeepReadonly<RoleEntry>;

interface StoredSalt {
  salt: string;
}

/** The mount-wide salt for role ID and accessor index keys; made once, kept behind the barrier. */
export async function mountSalt(storage: StorageView): Promise<string> {
  return (await storedSalt(storage)).salt;
}

async function storedSalt(storage: StorageView): Promise<DeepReadonly<StoredSalt>> {
  const stored = await storage.readJson<StoredSalt>('salt');
  if (stored) return stored;
  const salt = { salt: randomBytes(32).toString('base64') };
  await storage.putJson('salt', salt);
  return salt;
}

/**
 * Role ID index keys, memoized per salt: every login of a role hashes the same role ID again. Keyed
 * by the barrier's cached (frozen) salt object, so the memo goes when that entry does (on seal).
 */
const roleIdKeysBySalt = new WeakMap<object, (roleId: string) => string>();
const ROLE_ID_MEMO_LIMIT = 1_000;

const roleKey = (name: string) => `role/${normaliseRoleName(name)}`;

export function loadRole(storage: StorageView, name: string): MaybePromise<RoleEntry | undefined> {
  return storage.getJson<RoleEntry>(roleKey(name));
}

/**
 * The role, or Vault's `role "<name as sent>" does not exist` made by `refuse`: Vault answers it as 400,
 * 404 or 500 depending on the endpoint.
 */
export async function requireRole(
  storage: StorageView,
  name: string,
  refuse: (message: string) => CofferError = invalid,
): Promise<RoleEntry> {
  const role = await loadRole(storage, name);
  if (!role) throw refuse(`role ${JSON.stringify(name)} does not exist`);
  return role;
}

async function roleIdKey(storage: StorageView, roleId: string): Promise<string> {
  const stored = await storedSalt(storage);
  let keyOf = roleIdKeysBySalt.get(stored);
  if (!keyOf) {
    keyOf = memoizeString((id) => `role_id/${hmacHex(stored.salt, id)}`, {
      limit: ROLE_ID_MEMO_LIMIT,
      maxInputLength: 256,
    });
    roleIdKeysBySalt.set(stored, keyOf);
  }
  return keyOf(roleId);
}

/** The role a role ID belongs to, shared and frozen (the login and quota paths only read it). */
export async function roleByRoleId(storage: StorageView, roleId: string): Promise<RoleView | undefined> {
  const index = await storage.readJson<{ name: string }>(await roleIdKey(storage, roleId));
  return index && storage.readJson<RoleEntry>(roleKey(index.name));
}

/**
 * Saves the role and its role ID index in one transaction (a new role ID replaces the old index
 * entry in it); a role ID another role holds is refused. Callers serialise.
 */
export async function saveRole(
  storage: StorageView,
  role: RoleEntry,
  previousRoleId?: string,
): Promise<void> {
  const key = await roleIdKey(storage, role.roleId);
  const holder = await storage.getJson<{ name: string }>(key);
  if (holder && holder.name !== role.name) throw invalid('role_id already in use');
  const ops: TxOp[] = [];
  if (previousRoleId && previousRoleId !== role.roleId) {
    ops.push({ op: 'delete', key: await roleIdKey(storage, previousRoleId) });
  }
  ops.push({ op: 'put', key: `role/${role.name}`, value: jsonBytes(role) });
  ops.push({ op: 'put', key, value: jsonBytes({ name: role.name }) });
  await storage.transaction(ops);
}

export async function deleteRoleRecords(storage: StorageView, role: RoleEntry): Promise<void> {
  await storage.transaction([
    { op: 'delete', key: await roleIdKey(storage, role.roleId) },
    { op: 'delete', key: `role/${role.name}` },
  ]);
}
