/** Converts a KV v1 mount to v2 in place: each `data/<path>` becomes version 1 of that key, atomically per key. */
import type { StorageView } from '../../framework/storage-view.js';
import { jsonBytes } from '../../framework/storage-view.js';
import { newMetadata } from './versions.js';

const MARKER = 'upgrading-done';

async function v1Keys(storage: StorageView, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const child of await storage.list(`data/${prefix}`)) {
    if (child.endsWith('/')) out.push(...(await v1Keys(storage, prefix + child)));
    else out.push(prefix + child);
  }
  return out;
}

export async function upgradeToV2(storage: StorageView, now: number): Promise<number> {
  if (await storage.has(MARKER)) return 0;
  let converted = 0;
  for (const path of await v1Keys(storage)) {
    const data = await storage.getJson<Record<string, unknown>>(`data/${path}`);
    if (!data) continue;
    const meta = newMetadata(now);
    meta.currentVersion = 1;
    meta.oldestVersion = 1;
    meta.versions = { 1: { createdTime: now, deletionTime: 0, destroyed: false } };
    // One transaction per key: a crash mid-upgrade leaves every key either v1 or v2, never lost.
    await storage.transaction([
      { op: 'put', key: `versions/${path}/1`, value: jsonBytes(data) },
      { op: 'put', key: `metadata/${path}`, value: jsonBytes(meta) },
      { op: 'delete', key: `data/${path}` },
    ]);
    converted++;
  }
  await storage.putJson(MARKER, { at: now });
  return converted;
}
