/** The database plugins Coffer ships, by `plugin_name`; adding one is one line here. */
import type { PluginFactory } from '../plugin.js';
import { createPostgresPlugin, POSTGRES_PLUGIN_NAME } from './postgresql.js';

export const databasePlugins: ReadonlyMap<string, PluginFactory> = new Map<string, PluginFactory>([
  [POSTGRES_PLUGIN_NAME, createPostgresPlugin],
]);
