/**
 * A byte-bounded LRU of decrypted entries, so hot reads skip AES-GCM. Bytes are copied in and out;
 * an entry read as JSON also keeps its parsed, deeply frozen value, so a hot read path skips the
 * decode and the parse as well, and no caller can change what the next caller gets.
 */
import { deepFreeze } from '../framework/deep-freeze.js';

/** Returned by `json` when the key is not cached. */
export const MISS: unique symbol = Symbol('miss');
/** Returned by `get` for a key cached as not existing (a read found nothing). */
export const ABSENT: unique symbol = Symbol('absent');

/** Parsed values cost more than their bytes; this rough factor keeps the bound honest. */
const PARSED_COST = 3;
/**
 * What an entry costs besides its bytes: the Map slot, the entry and Uint8Array objects and the key
 * (two bytes a character). Without it, 32 MB of small entries measured as well over 64 MB of heap.
 */
const ENTRY_OVERHEAD = 200;

interface Entry {
  key: string;
  /** Undefined: the key is known not to exist. */
  bytes: Uint8Array | undefined;
  json?: unknown;
  /** What this entry counts against the bound. */
  cost: number;
  /** Recency list: `older` towards the eviction end, `newer` towards the most recently used. */
  older?: Entry;
  newer?: Entry;
}

const decoder = new TextDecoder();

/**
 * Recency is a linked list through the entries, so a hit moves one entry in O(1) and never changes
 * the Map: re-inserting a key to move it (delete then set) measured as the largest single cost of
 * a login under load, since every such move leaves a hole that V8 compacts by rehashing the table.
 */
export class ByteLru {
  private readonly entries = new Map<string, Entry>();
  private oldest?: Entry;
  private newest?: Entry;
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly entryOverhead = ENTRY_OVERHEAD,
  ) {}

  private unlink(entry: Entry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  private append(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private touch(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry;
  }

  /** Whether `key` is cached (as a value or as absent), without touching its recency. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * A copy of the cached bytes, ABSENT for a key known not to exist, undefined when not cached. The
   * copy is short-lived (decoded and dropped by the caller), so it comes from Node's buffer pool
   * rather than a malloc'd ArrayBuffer of its own.
   */
  get(key: string): Uint8Array | typeof ABSENT | undefined {
    const entry = this.touch(key);
    if (!entry) return undefined;
    return entry.bytes ? Buffer.from(entry.bytes) : ABSENT;
  }

  /** The entry's JSON, parsed once and frozen; undefined for a key known not to exist; MISS when not cached. */
  json(key: string): unknown {
    const entry = this.touch(key);
    if (!entry) return MISS;
    if (!entry.bytes) return undefined;
    if (entry.json === undefined) {
      const bytes = entry.bytes;
      entry.json = deepFreeze(JSON.parse(decoder.decode(bytes)));
      const added = bytes.byteLength * PARSED_COST;
      entry.cost += added;
      this.bytes += added;
      this.evict();
    }
    return entry.json;
  }

  /**
   * Caches `value`, or with `ABSENT` that the key does not exist (a config never written, say). `json`
   * is the value already parsed (by the writer that encoded it): kept frozen, as `json` would keep it.
   */
  set(key: string, value: Uint8Array | typeof ABSENT, json?: unknown): void {
    const size = value === ABSENT ? 0 : value.byteLength;
    if (size > this.maxBytes / 8) return; // a huge entry would evict everything useful
    this.delete(key);
    let cost = size + (this.entryOverhead && this.entryOverhead + key.length * 2);
    const entry: Entry = { key, bytes: value === ABSENT ? undefined : new Uint8Array(value), cost };
    if (json !== undefined && entry.bytes) {
      entry.json = deepFreeze(json);
      cost += size * PARSED_COST;
      entry.cost = cost;
    }
    this.entries.set(key, entry);
    this.append(entry);
    this.bytes += cost;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.cost;
    this.entries.delete(key);
    this.unlink(entry);
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.bytes?.fill(0);
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.bytes = 0;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.oldest) this.delete(this.oldest.key);
  }
}
