/** In-memory storage for dev mode and tests; nothing survives the process. */
import type { PrefixProbe, StorageBackend, TxOp } from './backend.js';
import { childrenOf } from './list.js';
import { validateFolder, validateKey, validateOps } from './validate-key.js';

export class InmemBackend implements StorageBackend, PrefixProbe {
  readonly type = 'inmem';
  private readonly entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    const value = this.entries.get(key);
    return value && new Uint8Array(value);
  }

  // One path for every write, so a single put or delete is checked as a transaction's ops are.
  put(key: string, value: Uint8Array): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(this.entries.keys(), prefix);
  }

  async hasAnyUnder(prefix: string): Promise<boolean> {
    validateFolder(prefix, 'probed prefix');
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  async transaction(ops: TxOp[]): Promise<void> {
    validateOps(ops);
    for (const op of ops) {
      if (op.op === 'put') this.entries.set(op.key, new Uint8Array(op.value));
      else this.entries.delete(op.key);
    }
  }

  async close(): Promise<void> {}
}
