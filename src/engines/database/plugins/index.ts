/**
 * The database plugins Coffer ships, by `plugin_name`; adding one is one line here. Each plugin
 * module (and its driver: pg, mysql2, ioredis) is imported on first use: together they cost
 * ~170 ms of start-up for servers that never mount a database.
 */
import type { PluginFactory } from '../plugin.js';

const lazy =
  (load: () => Promise<PluginFactory>): PluginFactory =>
  async () =>
    (await load())();

export const databasePlugins: ReadonlyMap<string, PluginFactory> = new Map<string, PluginFactory>([
  ['postgresql-database-plugin', lazy(async () => (await import('./postgresql.js')).createPostgresPlugin)],
  ['mysql-database-plugin', lazy(async () => (await import('./mysql.js')).mysqlPlugin)],
  ['mysql-aurora-database-plugin', lazy(async () => (await import('./mysql.js')).mysqlAuroraPlugin)],
  ['mysql-rds-database-plugin', lazy(async () => (await import('./mysql.js')).mysqlRdsPlugin)],
  ['mysql-legacy-database-plugin', lazy(async () => (await import('./mysql.js')).mysqlLegacyPlugin)],
  ['redis-database-plugin', lazy(async () => (await import('./redis.js')).redisPlugin)],
]);
