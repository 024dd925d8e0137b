/**
 * The engine object is shared by every `database` mount, so each mount's live state (plugin
 * instances, rotation locks, the rotation scheduler) is kept here, keyed by the mount's uuid.
 */

import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { EngineContext } from '../../framework/path.js';
import { Connections } from './connections.js';
import type { PluginFactory } from './plugin.js';
import { RotationScheduler } from './rotation-scheduler.js';
import type { RotationDeps } from './static-rotation.js';

export interface DatabaseMount {
  connections: Connections;
  locks: KeyedMutex;
  scheduler: RotationScheduler;
  rotation: RotationDeps;
}

export class DatabaseMounts {
  private readonly mounts = new Map<string, DatabaseMount>();

  constructor(private readonly plugins: ReadonlyMap<string, PluginFactory>) {}

  of(ctx: EngineContext): DatabaseMount {
    const id = ctx.system.mountUuid;
    let mount = this.mounts.get(id);
    if (!mount) {
      const connections = new Connections(ctx.storage, this.plugins);
      const locks = new KeyedMutex();
      const rotation: RotationDeps = { storage: ctx.storage, connections, clock: ctx.clock, locks };
      const scheduler = new RotationScheduler({ ...rotation, log: ctx.log });
      mount = { connections, locks, scheduler, rotation };
      this.mounts.set(id, mount);
    }
    return mount;
  }

  /** Stops the scheduler first (it may be mid-rotation), then closes every pool. */
  async drop(ctx: EngineContext): Promise<void> {
    const mount = this.mounts.get(ctx.system.mountUuid);
    this.mounts.delete(ctx.system.mountUuid);
    if (!mount) return;
    await mount.scheduler.stop();
    await mount.connections.closeAll();
  }
}
