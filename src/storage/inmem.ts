/** In-memory storage for dev mode and tests; nothing survives the process. */
import type { StorageBackend, TxOp } from './backend.js';
import { childrenOf } from './list.js';

export class InmemBackend implements StorageBackend {
  readonly type = 'inmem';
  private readonly entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = this.entries.get(key);
    return value && new Uint8Array(value);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.entries.set(key, new Uint8Array(value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(this.entries.keys(), prefix);
  }

  async transaction(ops: TxOp[]): Promise<void> {
    for (const op of ops) {
      if (op.op === 'put') this.entries.set(op.key, new Uint8Array(op.value));
      else this.entries.delete(op.key);
    }
  }

  async close(): Promise<void> {}
}
