/**
 * The mount tables (secrets engines in `core/mounts`, auth methods in `core/auth`), persisted behind
 * the barrier, and the longest-prefix router over them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LockoutSettings } from '../auth/user-lockout.js';
import type { StorageView } from '../framework/storage-view.js';
import { CofferError, internal, invalid } from './errors.js';

export type MountTableName = 'mounts' | 'auth';

export interface MountConfig {
  defaultLeaseTtl: number; // seconds; 0 = system default
  maxLeaseTtl: number;
  forceNoCache: boolean;
  listingVisibility?: string;
  auditNonHmacRequestKeys?: string[];
  auditNonHmacResponseKeys?: string[];
  passthroughRequestHeaders?: string[];
  allowedResponseHeaders?: string[];
  tokenType?: string;
  /** Tuned user lockout (`user_lockout_config`); unset fields fall back to the server's settings. */
  userLockout?: LockoutSettings;
}

export interface MountEntry {
  table: MountTableName;
  /** Path with trailing slash, without the `auth/` prefix for auth mounts (as Vault lists them). */
  path: string;
  type: string;
  description: string;
  uuid: string;
  accessor: string;
  config: MountConfig;
  options: Record<string, string> | null;
  local: boolean;
  sealWrap: boolean;
  externalEntropyAccess: boolean;
  /** Unix ms; kept for `sys/internal/ui/mounts` and audits. */
  createdAt: number;
}

export const STORAGE_KEYS: Record<MountTableName, string> = { mounts: 'core/mounts', auth: 'core/auth' };

/** Where a mount's data lives inside the barrier. */
export function storagePrefix(entry: MountEntry): string {
  if (entry.type === 'system') return 'sys/';
  if (entry.type === 'token') return 'sys/token/';
  return `${entry.table === 'auth' ? 'auth' : 'logical'}/${entry.uuid}/`;
}

/** The full routing prefix (`auth/` for auth methods). */
export function routePrefix(entry: MountEntry): string {
  return entry.table === 'auth' ? `auth/${entry.path}` : entry.path;
}

export function newMountEntry(
  table: MountTableName,
  path: string,
  type: string,
  fields: Partial<Omit<MountEntry, 'table' | 'path' | 'type' | 'uuid' | 'accessor'>> = {},
): MountEntry {
  const accessorType = table === 'auth' ? `auth_${type}` : type;
  return {
    table,
    path,
    type,
    description: fields.description ?? '',
    uuid: randomUUID(),
    accessor: `${accessorType}_${randomBytes(4).toString('hex')}`,
    config: { defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false, ...fields.config },
    options: fields.options ?? null,
    local: fields.local ?? false,
    sealWrap: fields.sealWrap ?? false,
    externalEntropyAccess: fields.externalEntropyAccess ?? false,
    createdAt: fields.createdAt ?? Date.now(),
  };
}

/** Normalises a user-supplied mount path: no leading slash, exactly one trailing slash. */
/** The longest mount path: a mount path is part of every key under it, which storage bounds too. */
const MAX_MOUNT_PATH = 512;

export function normalizeMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid('invalid mount path');
  }
  // A path that arrives in a body (sys/remount's `to`) could otherwise hold what no URL can reach:
  // a mount there could never be read, tuned or disabled.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(trimmed) || trimmed.length > MAX_MOUNT_PATH)
    throw invalid('invalid mount path');
  return `${trimmed}/`;
}

export class MountTable {
  private entries: MountEntry[] = [];
  /** Route prefixes sorted longest first, so the first prefix match is the longest. */
  private routes: { prefix: string; entry: MountEntry }[] = [];

  constructor(private readonly storage: StorageView) {}

  async load(): Promise<boolean> {
    const mounts = await this.loadTable(STORAGE_KEYS.mounts);
    const auth = await this.loadTable(STORAGE_KEYS.auth);
    this.entries = [...(mounts ?? []), ...(auth ?? [])];
    this.reindex();
    return mounts !== undefined;
  }

  /**
   * One stored table. A damaged one stops the unseal with the entry's name; the barrier's messages are
   * fixed text, but a parse error's quotes the decrypted entry, so it is not passed on.
   */
  private async loadTable(key: string): Promise<MountEntry[] | undefined> {
    const corrupt = (why: string) => internal(`the mount table (${key}) is corrupt: ${why}`);
    let table: unknown;
    try {
      table = await this.storage.getJson<unknown>(key);
    } catch (error) {
      if (error instanceof SyntaxError) throw corrupt('not valid JSON');
      // The barrier's decryption failures; a storage outage is passed on as it is.
      if (error instanceof CofferError && error.code === 'internal') throw corrupt(error.message);
      throw error;
    }
    if (table !== undefined && !Array.isArray(table)) throw corrupt('not a list of mounts');
    return table as MountEntry[] | undefined;
  }

  all(table?: MountTableName): MountEntry[] {
    return table ? this.entries.filter((e) => e.table === table) : [...this.entries];
  }

  /** The mount serving a full request path, by longest prefix. */
  match(path: string): MountEntry | undefined {
    for (const route of this.routes) {
      if (path.startsWith(route.prefix) || `${path}/` === route.prefix) return route.entry;
    }
    return undefined;
  }

  find(table: MountTableName, path: string): MountEntry | undefined {
    return this.entries.find((e) => e.table === table && e.path === path);
  }

  byAccessor(accessor: string): MountEntry | undefined {
    return this.entries.find((e) => e.accessor === accessor);
  }

  /** A new mount may neither sit inside nor contain another mount of the router. */
  conflict(entry: Pick<MountEntry, 'table' | 'path'>): string | undefined {
    const prefix = entry.table === 'auth' ? `auth/${entry.path}` : entry.path;
    for (const route of this.routes) {
      if (route.prefix.startsWith(prefix) || prefix.startsWith(route.prefix)) return route.prefix;
    }
    return undefined;
  }

  async add(entry: MountEntry): Promise<void> {
    await this.save([...this.entries, entry]);
  }

  async remove(entry: MountEntry): Promise<void> {
    await this.save(this.entries.filter((e) => e.uuid !== entry.uuid));
  }

  async replace(entry: MountEntry): Promise<void> {
    await this.save(this.entries.map((e) => (e.uuid === entry.uuid ? entry : e)));
  }

  private async save(next: MountEntry[]): Promise<void> {
    const jsonOf = (table: MountTableName) =>
      new TextEncoder().encode(JSON.stringify(next.filter((e) => e.table === table)));
    await this.storage.transaction([
      { op: 'put', key: STORAGE_KEYS.mounts, value: jsonOf('mounts') },
      { op: 'put', key: STORAGE_KEYS.auth, value: jsonOf('auth') },
    ]);
    this.entries = next;
    this.reindex();
  }

  private reindex(): void {
    this.routes = this.entries
      .map((entry) => ({ prefix: routePrefix(entry), entry }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }
}

/** The wire shape of a mount entry (API.md 3.2). */
export function mountToWire(entry: MountEntry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: entry.config.defaultLeaseTtl,
    force_no_cache: entry.config.forceNoCache,
    max_lease_ttl: entry.config.maxLeaseTtl,
  };
  if (entry.config.listingVisibility) config.listing_visibility = entry.config.listingVisibility;
  if (entry.config.auditNonHmacRequestKeys?.length)
    config.audit_non_hmac_request_keys = entry.config.auditNonHmacRequestKeys;
  if (entry.config.auditNonHmacResponseKeys?.length)
    config.audit_non_hmac_response_keys = entry.config.auditNonHmacResponseKeys;
  if (entry.config.passthroughRequestHeaders?.length)
    config.passthrough_request_headers = entry.config.passthroughRequestHeaders;
  if (entry.config.allowedResponseHeaders?.length)
    config.allowed_response_headers = entry.config.allowedResponseHeaders;
  if (entry.table === 'auth') config.token_type = entry.config.tokenType ?? 'default-service';
  if (entry.config.userLockout) config.user_lockout_config = lockoutToWire(entry.config.userLockout);
  return {
    accessor: entry.accessor,
    config,
    deprecation_status: entry.type === 'system' || entry.type === 'token' ? undefined : 'supported',
    description: entry.description,
    external_entropy_access: entry.externalEntropyAccess,
    local: entry.local,
    options: entry.options,
    plugin_version: '',
    running_plugin_version: `v0.1.0+builtin.coffer`,
    running_sha256: '',
    seal_wrap: entry.sealWrap,
    type: entry.type,
    uuid: entry.uuid,
  };
}

/** A mount's tuned lockout as Vault reports it: seconds, and 0 for "the server's setting". */
export function lockoutToWire(settings: LockoutSettings): Record<string, unknown> {
  return {
    user_lockout_counter_reset_duration: settings.counterResetSeconds ?? 0,
    user_lockout_threshold: settings.threshold ?? 0,
    user_lockout_duration: settings.durationSeconds ?? 0,
    user_lockout_disable: settings.disable ?? false,
  };
}
