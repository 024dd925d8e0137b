/**
 * The live plugin instance of each configured connection in one mount: created from storage on
 * first use (so it survives restarts and `reset`), replaced on config writes, closed on unmount.
 */

import { CofferError, invalid } from '../../core/errors.js';
import type { StorageView } from '../../framework/storage-view.js';
import type { ConnectionSettings, DatabasePlugin, PluginFactory } from './plugin.js';
import { describe } from './plugins/redact.js';
import { type ConnectionConfig, keys, loadConnection } from './store.js';

export interface ConnectionHandle {
  plugin: DatabasePlugin;
  config: ConnectionConfig;
}

/** A plugin failure as a client sees it: a 500 whose text the plugin has already stripped of secrets. */
export function databaseError(context: string, error: unknown): CofferError {
  if (error instanceof CofferError) return error;
  return new CofferError('internal', `${context}: ${describe(error)}`);
}

export class Connections {
  private readonly open = new Map<string, Promise<ConnectionHandle>>();

  constructor(
    private readonly storage: StorageView,
    private readonly plugins: ReadonlyMap<string, PluginFactory>,
  ) {}

  /** Creates and initializes a plugin; it is closed again if initialization fails. */
  async start(
    pluginName: string,
    details: ConnectionSettings,
    verifyConnection: boolean,
  ): Promise<{ plugin: DatabasePlugin; settings: ConnectionSettings }> {
    const factory = this.plugins.get(pluginName);
    if (!factory) throw invalid(`error creating database object: unknown plugin_name "${pluginName}"`);
    const plugin = await factory();
    try {
      const settings = await plugin.initialize({ config: details, verifyConnection });
      return { plugin, settings };
    } catch (error) {
      await plugin.close().catch(() => undefined);
      throw error;
    }
  }

  get(name: string): Promise<ConnectionHandle> {
    const existing = this.open.get(name);
    if (existing) return existing;
    const connecting = this.connect(name);
    this.open.set(name, connecting);
    connecting.catch(() => {
      if (this.open.get(name) === connecting) this.open.delete(name);
    });
    return connecting;
  }

  private async connect(name: string): Promise<ConnectionHandle> {
    const config = await loadConnection(this.storage, name);
    if (!config) throw invalid(`no database connection named "${name}"`);
    if (config.pendingRootPassword !== undefined) return this.settleRootPassword(name, config);
    try {
      const { plugin } = await this.start(config.pluginName, config.connectionDetails, true);
      return { plugin, config };
    } catch (error) {
      throw databaseError('unable to get connection', error);
    }
  }

  /**
   * A root rotation was interrupted: exactly one of the two passwords works at the database. The
   * pending one is tried first, since a rotation that reached the database left the old one dead.
   */
  private async settleRootPassword(name: string, config: ConnectionConfig): Promise<ConnectionHandle> {
    const pendingDetails = { ...config.connectionDetails, password: config.pendingRootPassword };
    let settled: ConnectionHandle;
    try {
      const { plugin, settings } = await this.start(config.pluginName, pendingDetails, true);
      settled = { plugin, config: { ...config, connectionDetails: settings } };
    } catch {
      try {
        const { plugin } = await this.start(config.pluginName, config.connectionDetails, true);
        settled = { plugin, config };
      } catch (error) {
        throw databaseError('unable to get connection', error);
      }
    }
    delete settled.config.pendingRootPassword;
    await this.storage.putJson(keys.connection(name), settled.config);
    return settled;
  }

  /** Installs a freshly configured plugin (a config write) and closes the one it replaces. */
  async replace(name: string, handle: ConnectionHandle): Promise<void> {
    const previous = this.open.get(name);
    this.open.set(name, Promise.resolve(handle));
    await closeQuietly(previous);
  }

  async close(name: string): Promise<void> {
    const previous = this.open.get(name);
    this.open.delete(name);
    await closeQuietly(previous);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(closeQuietly));
  }
}

async function closeQuietly(handle: Promise<ConnectionHandle> | undefined): Promise<void> {
  if (!handle) return;
  const resolved = await handle.catch(() => undefined);
  await resolved?.plugin.close().catch(() => undefined);
}
