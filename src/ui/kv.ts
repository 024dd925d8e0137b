/** KV v1 and v2 paths: the same user action lands on different API paths for each version. */
import { api, apiPath } from './api.js';

export type KvVersion = 1 | 2;

/** 1 or 2 for a KV mount (Vault's `kv` type, `generic` for old v1 mounts), else undefined. */
export function kvVersion(mount: Record<string, unknown>): KvVersion | undefined {
  if (mount.type !== 'kv' && mount.type !== 'generic') return undefined;
  const options = (mount.options ?? {}) as Record<string, unknown>;
  return String(options.version ?? '1') === '2' ? 2 : 1;
}

/** Asks the server which version a mount is, on every view: nothing of it is cached. */
export async function mountVersion(mount: string): Promise<KvVersion> {
  const body = await api('GET', `sys/internal/ui/mounts/${apiPath(mount)}`);
  const version = kvVersion(body?.data ?? {});
  if (!version) throw new Error(`${mount} is not a KV secrets engine.`);
  return version;
}

export function dataPath(version: KvVersion, mount: string, path: string): string {
  return version === 2 ? apiPath(mount, 'data', path) : apiPath(mount, path);
}

export function listPath(version: KvVersion, mount: string, prefix: string): string {
  return version === 2 ? apiPath(mount, 'metadata', prefix) : apiPath(mount, prefix);
}

export function metadataPath(mount: string, path: string): string {
  return apiPath(mount, 'metadata', path);
}
