/**
 * An on-disk index of what expires when: `sys/expire/due/<minute>/<id hash>`. Unseal loads only the
 * buckets that are due soon, so 100,000 leases never sit in memory or stall start-up.
 */
import { createHash } from 'node:crypto';
import type { StorageView } from '../../framework/storage-view.js';

export type DueKind = 'lease' | 'token';

export interface DueItem {
  kind: DueKind;
  /** Lease id, or the accessor of a token with a TTL. */
  id: string;
  at: number;
}

const BUCKET_MS = 60_000;
/** Due entries read per page at unseal: small enough that the loader yields often. */
const SCAN_PAGE = 256;

export function bucketOf(at: number): string {
  return String(Math.floor(at / BUCKET_MS)).padStart(12, '0');
}

export function hashId(kind: DueKind, id: string): string {
  return createHash('sha256').update(`${kind}:${id}`).digest('hex');
}

export class DueIndex {
  constructor(private readonly storage: StorageView) {}

  /** `idHash` may be passed when the caller already has `hashId(kind, id)` (a renewal moves one item). */
  key(item: Pick<DueItem, 'kind' | 'id' | 'at'>, idHash = hashId(item.kind, item.id)): string {
    return `${bucketOf(item.at)}/${idHash}`;
  }

  async add(item: DueItem): Promise<void> {
    await this.storage.putJson(this.key(item), item);
  }

  async remove(item: Pick<DueItem, 'kind' | 'id' | 'at'>): Promise<void> {
    await this.storage.delete(this.key(item));
  }

  /** Bucket names up to and including the one holding `until`, oldest first. */
  async bucketsUntil(until: number): Promise<string[]> {
    const limit = bucketOf(until);
    return (await this.storage.list(''))
      .filter((b) => b.endsWith('/'))
      .map((b) => b.slice(0, -1))
      .filter((b) => b <= limit)
      .sort();
  }

  /** Read in pages (one range read each where storage can); `pause` runs between pages. */
  async itemsIn(bucket: string, pause?: () => Promise<void>): Promise<DueItem[]> {
    const items: DueItem[] = [];
    let after: string | undefined;
    do {
      const page = await this.storage.scanJson<DueItem>(`${bucket}/`, after, SCAN_PAGE);
      for (const { value } of page.entries) items.push(value);
      after = page.next;
      await pause?.();
    } while (after !== undefined);
    return items;
  }
}
