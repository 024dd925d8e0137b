/**
 * A byte-bounded LRU of decrypted entries, so hot reads skip AES-GCM. Bytes are copied in and out;
 * an entry read as JSON also keeps its parsed, deeply frozen value, so a hot read path skips the
 * decode and the parse as well, and no caller can change what the next caller gets.
 */
import { deepFreeze } from '../framework/deep-freeze.js';

/** Returned by `json` when the key is not cached. */
export const MISS: unique symbol = Symbol('miss');

/** Parsed values cost more than their bytes; this rough factor keeps the bound honest. */
const PARSED_COST = 3;
/**
 * What an entry costs besides its bytes: the Map slot, the entry and Uint8Array objects and the key
 * (two bytes a character). Without it, 32 MB of small entries measured as well over 64 MB of heap.
 */
const ENTRY_OVERHEAD = 200;

interface Entry {
  key: string;
  bytes: Uint8Array;
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

  get(key: string): Uint8Array | undefined {
    const entry = this.touch(key);
    return entry ? new Uint8Array(entry.bytes) : undefined;
  }

  /** The entry's JSON, parsed once and frozen; MISS when the key is not cached. */
  json(key: string): unknown {
    const entry = this.touch(key);
    if (!entry) return MISS;
    if (entry.json === undefined) {
      entry.json = deepFreeze(JSON.parse(decoder.decode(entry.bytes)));
      const added = entry.bytes.byteLength * PARSED_COST;
      entry.cost += added;
      this.bytes += added;
      this.evict();
    }
    return entry.json;
  }

  set(key: string, value: Uint8Array): void {
    if (value.byteLength > this.maxBytes / 8) return; // a huge entry would evict everything useful
    this.delete(key);
    const cost = value.byteLength + (this.entryOverhead && this.entryOverhead + key.length * 2);
    const entry: Entry = { key, bytes: new Uint8Array(value), cost };
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
    for (const entry of this.entries.values()) entry.bytes.fill(0);
    this.entries.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.bytes = 0;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.oldest) this.delete(this.oldest.key);
  }
}
