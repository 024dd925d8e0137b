/** The database plugins Coffer ships, by `plugin_name`; adding one is one line here. */
import type { PluginFactory } from '../plugin.js';

export const databasePlugins: ReadonlyMap<string, PluginFactory> = new Map<string, PluginFactory>([]);
