/** A mount's window onto the barrier: every key is prefixed, so an engine cannot reach another's data. */
import {
  isJsonReader,
  isNameScanner,
  isPrefixProbe,
  type StorageBackend,
  type TxOp,
} from '../storage/backend.js';
import { compareCodePoints } from '../storage/list.js';
import { type DeepReadonly, deepFreeze } from './deep-freeze.js';
import { andThen, type MaybePromise } from './maybe-promise.js';

const decoder = new TextDecoder();

export class StorageView {
  constructor(
    private readonly backend: StorageBackend,
    readonly prefix: string,
  ) {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error('storage view prefix must end in "/"');
  }

  private key(key: string): string {
    if (key.startsWith('/')) throw new Error('storage keys are relative');
    return this.prefix + key;
  }

  /** A cached entry at once (see MaybePromise). */
  get(key: string): MaybePromise<Uint8Array | undefined> {
    let full: string;
    try {
      full = this.key(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.backend.get(full);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.backend.put(this.key(key), value);
  }

  delete(key: string): Promise<void> {
    return this.backend.delete(this.key(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.backend.list(this.key(prefix));
  }

  /** Whether nothing is stored under `folder` ('' for the whole view): one index seek where storage can. */
  async isEmpty(folder = ''): Promise<boolean> {
    const prefix = this.key(folder);
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error('isEmpty takes a folder ending in "/"');
    if (prefix !== '' && isPrefixProbe(this.backend)) return !(await this.backend.hasAnyUnder(prefix));
    return (await this.list(folder)).length === 0;
  }

  has(key: string): MaybePromise<boolean> {
    return andThen(this.get(key), (bytes) => bytes !== undefined);
  }

  /** A private, parsed copy; a cached entry at once (see MaybePromise). */
  getJson<T>(key: string): MaybePromise<T | undefined> {
    return andThen(this.get(key), (bytes) =>
      bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T),
    );
  }

  /**
   * Like getJson, but the value may be shared with other readers and is frozen: for read paths that
   * only look at it. The barrier serves it from its cache without decoding or parsing again.
   */
  readJson<T>(key: string): MaybePromise<DeepReadonly<T> | undefined> {
    // The barrier answers a cached entry at once (see MaybePromise).
    if (isJsonReader(this.backend)) {
      let full: string;
      try {
        full = this.key(key);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.backend.readJson(full) as MaybePromise<DeepReadonly<T> | undefined>;
    }
    return andThen(this.getJson<T>(key), (value) => (value === undefined ? undefined : deepFreeze(value)));
  }

  /**
   * A page of `folder`'s leaf names (relative to it, in code-point order) after `after`, without their
   * values. One index range read where the backend can; a list otherwise.
   */
  async scanNames(
    folder: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ names: string[]; next?: string }> {
    const scanned = isNameScanner(this.backend)
      ? await this.backend.scanNames(this.key(folder), after, limit)
      : undefined;
    if (scanned) return scanned;
    const names = (await this.list(folder))
      .filter((name) => !name.endsWith('/') && (after === undefined || compareCodePoints(name, after) > 0))
      .slice(0, limit);
    return { names, next: names.length === limit ? names[names.length - 1] : undefined };
  }

  putJson(key: string, value: unknown): Promise<void> {
    return this.put(key, jsonBytes(value));
  }

  transaction(ops: TxOp[]): Promise<void> {
    return this.backend.transaction(ops.map((op) => ({ ...op, key: this.key(op.key) })));
  }

  /**
   * Commits the ops of several views over the same backend as one transaction: a record and the
   * index entries another component keeps for it are written together (one fsync, all or nothing).
   */
  static transaction(parts: JointOps[]): Promise<void> {
    const backend = parts[0]?.view.backend;
    if (!backend) return Promise.resolve();
    if (parts.some((part) => part.view.backend !== backend))
      throw new Error('a joint transaction needs views over one backend');
    return backend.transaction(
      parts.flatMap(({ view, ops }) => ops.map((op) => ({ ...op, key: view.key(op.key) }))),
    );
  }

  /** Narrows the view further (e.g. one cubbyhole per token). */
  sub(prefix: string): StorageView {
    return new StorageView(this.backend, this.key(prefix));
  }

  /** Every key under this view, depth first; used when a mount is disabled or a token's cubbyhole is destroyed. */
  async deleteAll(): Promise<void> {
    if (await this.isEmpty()) return; // the common case: a token that never used its cubbyhole
    const walk = async (prefix: string): Promise<void> => {
      for (const child of await this.list(prefix)) {
        if (child.endsWith('/')) await walk(prefix + child);
        else await this.delete(prefix + child);
      }
    };
    await walk('');
  }
}

/** One view's share of a joint transaction (`StorageView.transaction`). */
export interface JointOps {
  view: StorageView;
  ops: TxOp[];
}

/**
 * A value's JSON as UTF-8. Buffer.from takes small results from Node's shared buffer pool, where
 * TextEncoder mallocs a new ArrayBuffer for each (allocating, registering and sweeping those was a
 * visible share of a write's CPU).
 */
export function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
