/** The database plugins Coffer ships, by `plugin_name`; adding one is one line here. */
import type { PluginFactory } from '../plugin.js';
import { mysqlAuroraPlugin, mysqlLegacyPlugin, mysqlPlugin, mysqlRdsPlugin } from './mysql.js';
import { createPostgresPlugin, POSTGRES_PLUGIN_NAME } from './postgresql.js';
import { redisPlugin } from './redis.js';

export const databasePlugins: ReadonlyMap<string, PluginFactory> = new Map<string, PluginFactory>([
  [POSTGRES_PLUGIN_NAME, createPostgresPlugin],
  ['mysql-database-plugin', mysqlPlugin],
  ['mysql-aurora-database-plugin', mysqlAuroraPlugin],
  ['mysql-rds-database-plugin', mysqlRdsPlugin],
  ['mysql-legacy-database-plugin', mysqlLegacyPlugin],
  ['redis-database-plugin', redisPlugin],
]);
