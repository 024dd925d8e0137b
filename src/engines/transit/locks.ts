/** Serialises writes to one named key (create, rotate, config, delete, upsert) within a mount. */
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { EngineContext } from '../../framework/path.js';

export class KeyLocks {
  private readonly mutex = new KeyedMutex();

  run<T>(ctx: EngineContext, name: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(`${ctx.system.mountUuid}/${name}`, fn);
  }
}
