/**
 * The `database` secrets engine: connections to databases through plugins, dynamic roles whose
 * users live as long as their lease, and static roles whose passwords rotate on a schedule.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { DatabaseMounts } from './mount-state.js';
import { configPaths } from './paths/config.js';
import { credsPaths } from './paths/creds.js';
import { rolePaths } from './paths/roles.js';
import { rotatePaths } from './paths/rotate.js';
import { staticRolePaths } from './paths/static-roles.js';
import type { PluginFactory } from './plugin.js';
import { databasePlugins } from './plugins/index.js';
import { dbCredentials } from './secret.js';

export function createDatabaseEngine(plugins: ReadonlyMap<string, PluginFactory> = databasePlugins): Engine {
  const mounts = new DatabaseMounts(plugins);
  return defineEngine({
    type: 'database',
    help: 'Issues short-lived database credentials and rotates the passwords of existing accounts.',
    paths: [
      ...configPaths(mounts),
      ...rolePaths,
      ...staticRolePaths(mounts),
      ...credsPaths(mounts),
      ...rotatePaths(mounts),
    ],
    secrets: [dbCredentials(mounts)],
    async initialize(ctx) {
      mounts.of(ctx).scheduler.start();
    },
    async cleanup(ctx) {
      await mounts.drop(ctx);
    },
  });
}

export const databaseEngine = createDatabaseEngine();
