/**
 * Live mounts: the persisted table plus, for each entry, its engine and context. Enabling,
 * disabling, tuning and moving mounts all go through here so the table and the runtimes agree.
 */

import { effectiveLockout, type ServerLockoutSettings } from '../auth/user-lockout.js';
import type { Clock } from '../framework/clock.js';
import type { Engine } from '../framework/engine.js';
import type { Logger } from '../framework/log.js';
import type { EngineContext } from '../framework/path.js';
import { StorageView } from '../framework/storage-view.js';
import type { StorageBackend } from '../storage/backend.js';
import type { EngineRegistry } from './engine-registry.js';
import { invalid } from './errors.js';
import {
  type MountEntry,
  MountTable,
  type MountTableName,
  newMountEntry,
  routePrefix,
  storagePrefix,
} from './mounts.js';

export interface MountRuntime {
  entry: MountEntry;
  engine: Engine;
  ctx: EngineContext;
}

export interface MountManagerDeps {
  barrier: StorageBackend;
  registry: EngineRegistry;
  /** Engines that are not in the registry because they are bound to core state (system, token). */
  builtins: ReadonlyMap<string, Engine>;
  clock: Clock;
  log: Logger;
  systemTtls: () => { defaultLeaseTtl: number; maxLeaseTtl: number };
  /** The server's user lockout settings (config file and environment), under each mount's tuning. */
  userLockout?: ServerLockoutSettings;
  /** The address clients reach the server at; read when a mount asks (listeners bind after core starts). */
  apiAddr?: () => string;
  /** Revokes every lease issued under a route prefix (disable, remount). */
  revokePrefix?: (prefix: string) => Promise<void>;
  /** A mount left its route prefix: disabled (`to` undefined) or moved. Quotas on it follow. */
  mountMoved?: (from: string, to: string | undefined) => Promise<void>;
}

export class MountManager {
  readonly table: MountTable;
  private readonly runtimes = new Map<string, MountRuntime>();

  constructor(private readonly deps: MountManagerDeps) {
    this.table = new MountTable(new StorageView(deps.barrier, ''));
  }

  /** Loads the table (creating the built-in mounts on first use) and starts every engine. */
  async start(extraDefaults: MountEntry[] = []): Promise<void> {
    const existed = await this.table.load();
    if (!existed) {
      for (const entry of [...defaultMounts(), ...extraDefaults]) await this.table.add(entry);
    } else if (!this.table.all('mounts').some((entry) => entry.type === 'identity')) {
      // A barrier initialised before identity existed gets the built-in mount on its next unseal.
      await this.table.add(identityMount());
    }
    for (const entry of this.table.all()) {
      if (isStrayBuiltin(entry)) {
        // Enabled before second built-in mounts were refused: started, it would rebind the built-in's
        // shared state (the identity store) to its own storage. It stays listed, so it can be disabled.
        this.deps.log.error('a second mount of a built-in engine was not started; disable it', {
          mount: entry.path,
          type: entry.type,
        });
        continue;
      }
      await this.startRuntime(entry);
    }
  }

  async stop(): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      await runtime.engine.cleanup?.(runtime.ctx).catch((error: unknown) => {
        this.deps.log.warn('engine cleanup failed', {
          mount: runtime.entry.path,
          // The class only: an engine's driver message can carry a connection string.
          error: error instanceof Error ? error.name : 'error',
        });
      });
    }
    this.runtimes.clear();
  }

  /** The runtime serving a full request path, or undefined when no mount matches. */
  route(path: string): MountRuntime | undefined {
    const entry = this.table.match(path);
    return entry && this.runtimes.get(entry.uuid);
  }

  runtime(entry: MountEntry): MountRuntime | undefined {
    return this.runtimes.get(entry.uuid);
  }

  private canMount(type: string): boolean {
    return this.deps.builtins.has(type) || this.deps.registry.has(type);
  }

  private async engineFor(type: string): Promise<Engine | undefined> {
    return this.deps.builtins.get(type) ?? (await this.deps.registry.load(type));
  }

  async enable(entry: MountEntry): Promise<void> {
    if (!this.canMount(entry.type)) {
      throw invalid(
        entry.table === 'auth'
          ? `unknown auth method type: ${entry.type}`
          : `plugin not found in the catalog: ${entry.type}`,
      );
    }
    const clash = this.table.conflict(entry);
    if (clash) throw invalid(`path is already in use at ${clash}`);
    await this.startRuntime(entry);
    await this.table.add(entry);
  }

  async disable(entry: MountEntry): Promise<void> {
    const runtime = this.runtimes.get(entry.uuid);
    await this.deps.revokePrefix?.(routePrefix(entry));
    if (runtime) await runtime.engine.cleanup?.(runtime.ctx);
    this.runtimes.delete(entry.uuid);
    await this.table.remove(entry);
    await this.deps.mountMoved?.(routePrefix(entry), undefined);
    await new StorageView(this.deps.barrier, storagePrefix(entry)).deleteAll();
  }

  /** Applies tuned settings; a changed option (KV's version) restarts the engine so it can upgrade its data. */
  async tune(entry: MountEntry, next: MountEntry): Promise<void> {
    const optionsChanged = JSON.stringify(entry.options) !== JSON.stringify(next.options);
    await this.table.replace(next);
    const runtime = this.runtimes.get(entry.uuid);
    if (runtime) runtime.entry = next;
    if (optionsChanged && runtime) {
      await runtime.engine.cleanup?.(runtime.ctx);
      this.runtimes.delete(entry.uuid);
      await this.startRuntime(next);
    }
  }

  async move(entry: MountEntry, table: MountTableName, path: string): Promise<MountEntry> {
    const clash = this.table.conflict({ table, path });
    if (clash) throw invalid(`path already in use at ${clash}`);
    await this.deps.revokePrefix?.(routePrefix(entry));
    const moved = { ...entry, table, path };
    await this.table.replace(moved);
    await this.deps.mountMoved?.(routePrefix(entry), routePrefix(moved));
    const runtime = this.runtimes.get(entry.uuid);
    if (runtime) {
      runtime.entry = moved;
      runtime.ctx = this.contextFor(moved);
    }
    return moved;
  }

  private async startRuntime(entry: MountEntry): Promise<void> {
    const engine = await this.engineFor(entry.type);
    if (!engine) {
      this.deps.log.error('mount has an unknown type and is not served', {
        path: entry.path,
        type: entry.type,
      });
      return;
    }
    const runtime = { entry, engine, ctx: this.contextFor(entry) };
    runtime.ctx = this.contextFor(entry, () => runtime.entry);
    await engine.initialize?.(runtime.ctx);
    this.runtimes.set(entry.uuid, runtime);
  }

  private contextFor(entry: MountEntry, current: () => MountEntry = () => entry): EngineContext {
    const ttls = this.deps.systemTtls;
    return {
      storage: new StorageView(this.deps.barrier, storagePrefix(entry)),
      log: this.deps.log.child(routePrefix(entry)),
      clock: this.deps.clock,
      system: {
        mountPath: routePrefix(entry),
        mountType: entry.type,
        mountUuid: entry.uuid,
        defaultLeaseTtl: () =>
          effectiveTtl(current().config.defaultLeaseTtl, ttls().defaultLeaseTtl, this.maxTtl(current())),
        maxLeaseTtl: () => this.maxTtl(current()),
        options: () => current().options ?? {},
        apiAddr: () => this.deps.apiAddr?.() ?? '',
        userLockout: () => {
          const server = this.deps.userLockout;
          const type = current().type;
          return effectiveLockout(
            [server?.blocks?.all, server?.blocks?.[type], current().config.userLockout],
            server?.disabledByEnvironment,
          );
        },
      },
    };
  }

  maxTtl(entry: MountEntry): number {
    return entry.config.maxLeaseTtl || this.deps.systemTtls().maxLeaseTtl;
  }

  defaultTtl(entry: MountEntry): number {
    return effectiveTtl(
      entry.config.defaultLeaseTtl,
      this.deps.systemTtls().defaultLeaseTtl,
      this.maxTtl(entry),
    );
  }
}

function effectiveTtl(mountValue: number, systemValue: number, max: number): number {
  return Math.min(mountValue || systemValue, max);
}

function defaultMounts(): MountEntry[] {
  return [
    newMountEntry('mounts', 'cubbyhole/', 'cubbyhole', {
      description: 'per-token private secret storage',
      local: true,
    }),
    identityMount(),
    newMountEntry('mounts', 'sys/', 'system', {
      description: 'system endpoints used for control, policy and debugging',
    }),
    newMountEntry('auth', 'token/', 'token', { description: 'token based credentials' }),
  ];
}

/** Where each built-in engine that exists once lives (Vault's singletonMounts). */
const BUILTIN_HOMES: Record<string, { table: MountTableName; path: string }> = {
  cubbyhole: { table: 'mounts', path: 'cubbyhole/' },
  identity: { table: 'mounts', path: 'identity/' },
  system: { table: 'mounts', path: 'sys/' },
  token: { table: 'auth', path: 'token/' },
};

/** A built-in engine type that exists once (sys/mounts refuses to enable another). */
export function isSingletonType(type: string): boolean {
  return Object.hasOwn(BUILTIN_HOMES, type);
}

function isStrayBuiltin(entry: MountEntry): boolean {
  const home = BUILTIN_HOMES[entry.type];
  return home !== undefined && (home.table !== entry.table || home.path !== entry.path);
}

function identityMount(): MountEntry {
  return newMountEntry('mounts', 'identity/', 'identity', { description: 'identity store' });
}
