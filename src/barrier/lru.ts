/**
 * A byte-bounded LRU of decrypted entries, so hot reads skip AES-GCM. Bytes are copied in and out;
 * an entry read as JSON also keeps its parsed, deeply frozen value, so a hot read path skips the
 * decode and the parse as well, and no caller can change what the next caller gets.
 */
import { deepFreeze } from '../framework/deep-freeze.js';
import { OldestKey } from '../framework/oldest-key.js';

/** Returned by `json` when the key is not cached. */
export const MISS: unique symbol = Symbol('miss');

/** Parsed values cost more than their bytes; this rough factor keeps the bound honest. */
const PARSED_COST = 3;

interface Entry {
  bytes: Uint8Array;
  json?: unknown;
  /** What this entry counts against the bound. */
  cost: number;
}

const decoder = new TextDecoder();

export class ByteLru {
  private readonly entries = new Map<string, Entry>();
  private readonly oldest = new OldestKey(this.entries);
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  private touch(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
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
    this.entries.set(key, { bytes: new Uint8Array(value), cost: value.byteLength });
    this.bytes += value.byteLength;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.cost;
    this.entries.delete(key);
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.bytes.fill(0);
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes) {
      const oldest = this.oldest.next();
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }
}
