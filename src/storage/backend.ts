/**
 * The physical storage contract. A backend stores opaque bytes under string keys and is treated as
 * completely untrusted: everything above the barrier is ciphertext by the time it gets here.
 */
import type { MaybePromise } from '../framework/maybe-promise.js';

export type TxOp =
  | {
      op: 'put';
      key: string;
      value: Uint8Array;
      /**
       * The value as parsed JSON, when the writer holds it: the barrier's cache keeps it (frozen) for a
       * key being read, so the next reader does not parse what was just encoded. It must be exactly
       * what `value` encodes, and the writer must not change it afterwards. Storage ignores it.
       */
      json?: unknown;
    }
  | { op: 'delete'; key: string };

export interface StorageBackend {
  /** Human-readable type as shown in `sys/seal-status` (`inmem`, `sqlite`, `postgresql`). */
  readonly type: string;
  /** The barrier answers a cached entry at once (see MaybePromise); a physical store returns a promise. */
  get(key: string): MaybePromise<Uint8Array | undefined>;
  /** Durable once the promise resolves: an acknowledged write survives a crash of the process. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Direct children of `prefix`, sorted by code point: leaves by their remaining name, "folders"
   * once each with a trailing `/`. A leaf and a folder of the same name both appear (`a`, `a/`).
   */
  list(prefix: string): Promise<string[]>;
  /** Applies every op or none. */
  transaction(ops: TxOp[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A backend that can hand out shared, frozen JSON values (the barrier, with its cache): a cached one at
 * once, not through a promise (see MaybePromise).
 */
export interface JsonReader {
  readJson(key: string): MaybePromise<unknown>;
}

export function isJsonReader(backend: StorageBackend): backend is StorageBackend & JsonReader {
  return typeof (backend as Partial<JsonReader>).readJson === 'function';
}

/** One page of a folder's leaf names, in key order. */
export interface NamePage {
  names: string[];
  /** Pass as `after` for the next page; undefined when this was the last. */
  next?: string;
}

/**
 * A backend that can read a folder's leaf names in pages without their values (an index-only range
 * read). Undefined means this instance cannot after all (a barrier over a backend that cannot scan).
 */
export interface NameScanner {
  scanNames(folder: string, after: string | undefined, limit: number): Promise<NamePage | undefined>;
}

export function isNameScanner(backend: StorageBackend): backend is StorageBackend & NameScanner {
  return typeof (backend as Partial<NameScanner>).scanNames === 'function';
}

/** A backend that can tell whether anything is stored under a prefix with one index seek. */
export interface PrefixProbe {
  hasAnyUnder(prefix: string): Promise<boolean>;
}

export function isPrefixProbe(backend: StorageBackend): backend is StorageBackend & PrefixProbe {
  return typeof (backend as Partial<PrefixProbe>).hasAnyUnder === 'function';
}
