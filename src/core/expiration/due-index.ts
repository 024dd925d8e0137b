/**
 * An on-disk index of what expires when: `sys/expire/due/<minute>/<second>-<tag>.<id hash>`, the
 * second being the expire time rounded up and the tag the id's first 7 characters (tagOf). Unseal loads
 * only the buckets that are due soon, and only their key names: the name alone says when an entry is
 * due, so 100,000 of them are indexed without reading or decrypting a value. The value (kind, id and
 * the exact time) is read when the entry fires, at most a second late after a restart and never early.
 * Names sort by time, so new entries append to the index and a burst of expirations deletes
 * neighbouring index entries, instead of one random index page each. A renewal that keeps the expiry
 * within the same second rewrites the entry in place.
 *
 * Within a second, names sort by the tag. Accessors and lease ids made since 2026-12-03 start with
 * their creation time (timeOrderedBase62), so the tokens and leases made in the same second with the
 * same TTL land together at the end of their second's range, on a page the commit's other entries
 * share. Named `<second>-<id hash>`, as until then, each took a random page of that range: side by side
 * (bench/cpu.ts), a token-create cost 148.3 µs of CPU then against 140.1 with the tag.
 * Entries written under that name are still read, and every delete of an entry covers both names
 * (namesOf), so one written before is never left behind. Files written before either layout hold
 * `<minute>/<id hash>` names; unseal rewrites each one it meets.
 */
import { jsonBytes, type StorageView } from '../../framework/storage-view.js';
import { timePrefixOf } from '../ids.js';
import { sha256Hex } from '../sha256.js';

export type DueKind = 'lease' | 'token';

export interface DueItem {
  kind: DueKind;
  /** Lease id, or the accessor of a token with a TTL. */
  id: string;
  at: number;
}

/** What a timer holds: when, and which entry. `item` is there when this process already has it. */
export interface DueRef {
  /** Never changed on a ref: the timers' heap is ordered by it (a retry is a new ref). */
  readonly at: number;
  idHash: string;
  item?: DueItem;
  /**
   * The name it was listed under, for a ref loaded by name. Not always `keyOf(at, idHash)`: the
   * bucket is taken from the exact time, the name's second is rounded up, so an entry due within a
   * minute's last second sits in the bucket before its second's.
   */
  key?: string;
  /** How many times its handler has failed without recording a retry of its own (see the manager). */
  failures?: number;
}

const BUCKET_MS = 60_000;
/** Names read per page at unseal: small enough that the loader yields often. */
const SCAN_PAGE = 1024;
/**
 * `<12-digit second>-<tag>.<64 hex>`, or `<12-digit second>-<64 hex>` for an id without a tag or an
 * entry written before tags; the second is zero-padded so names sort by it.
 */
const NAME = /^(\d{12})-(?:[0-9A-Za-z]{7}\.)?([0-9a-f]{64})$/;
const LEGACY_NAME = /^[0-9a-f]{64}$/;

export function bucketOf(at: number): string {
  return String(Math.floor(at / BUCKET_MS)).padStart(12, '0');
}

export function hashId(kind: DueKind, id: string): string {
  return sha256Hex(`${kind}:${id}`);
}

/**
 * The first 7 characters of an accessor or of a lease id's last segment (its creation time, for ids
 * made since 2026-12-03), when they are base62; otherwise none.
 */
export function tagOf(id: string): string | undefined {
  return timePrefixOf(id.slice(id.lastIndexOf('/') + 1));
}

export function refOf(item: DueItem, idHash = hashId(item.kind, item.id)): DueRef {
  return { at: item.at, idHash, item };
}

export class DueIndex {
  constructor(private readonly storage: StorageView) {}

  /** The entry's key; `idHash` may be passed when the caller already has `hashId(kind, id)`. */
  key(item: Pick<DueItem, 'kind' | 'id' | 'at'>, idHash = hashId(item.kind, item.id)): string {
    return keyOf(item.at, idHash, tagOf(item.id));
  }

  /** Every key the entry may be stored under: `key`, then, for an id with a tag, the name without it. */
  namesOf(item: Pick<DueItem, 'kind' | 'id' | 'at'>, idHash = hashId(item.kind, item.id)): string[] {
    const key = this.key(item, idHash);
    const untagged = keyOf(item.at, idHash);
    return key === untagged ? [key] : [key, untagged];
  }

  /** The key of the entry a ref was made for: the name it was listed under, else its item's key. */
  keyOfRef(ref: DueRef): string {
    return ref.key ?? (ref.item ? this.key(ref.item, ref.idHash) : keyOf(ref.at, ref.idHash));
  }

  async remove(item: Pick<DueItem, 'kind' | 'id' | 'at'>): Promise<void> {
    await this.storage.transaction(this.namesOf(item).map((key) => ({ op: 'delete' as const, key })));
  }

  /**
   * The item a ref points at, read from storage; undefined when the entry is gone, or does not match
   * its name (then it is dropped: nothing can act on it).
   */
  async read(ref: DueRef): Promise<DueItem | undefined> {
    const key = this.keyOfRef(ref);
    const item = await this.storage.getJson<DueItem>(key);
    if (!item) return undefined;
    if (!this.namesOf(item).includes(key)) {
      await this.storage.delete(key);
      return undefined;
    }
    return item;
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

  /**
   * The refs in one bucket, read a page of names at a time (`pause` runs between pages). An entry in the
   * old layout is read and rewritten under its new name first.
   */
  async refsIn(bucket: string, pause?: () => Promise<void>): Promise<DueRef[]> {
    const refs: DueRef[] = [];
    let after: string | undefined;
    do {
      const page = await this.storage.scanNames(`${bucket}/`, after, SCAN_PAGE);
      for (const name of page.names) {
        const match = NAME.exec(name);
        if (match) refs.push({ at: Number(match[1]) * 1000, idHash: match[2], key: `${bucket}/${name}` });
        else if (LEGACY_NAME.test(name)) {
          const ref = await this.migrate(`${bucket}/${name}`);
          if (ref) refs.push(ref);
        }
      }
      after = page.next;
      await pause?.();
    } while (after !== undefined);
    return refs;
  }

  /** Moves an entry written under the old layout to its new name, in one transaction. */
  private async migrate(legacyKey: string): Promise<DueRef | undefined> {
    const item = await this.storage.getJson<DueItem>(legacyKey);
    if (!item) return undefined;
    const ref = refOf(item);
    await this.storage.transaction([
      { op: 'put', key: this.key(item, ref.idHash), value: jsonBytes(item) },
      { op: 'delete', key: legacyKey },
    ]);
    return ref;
  }
}

/** An entry's key: `tag` is the id's (tagOf); without one, the name has none. */
export function keyOf(at: number, idHash: string, tag?: string): string {
  const second = String(Math.max(0, Math.ceil(at / 1000))).padStart(12, '0');
  return `${bucketOf(at)}/${second}-${tag === undefined ? '' : `${tag}.`}${idHash}`;
}
