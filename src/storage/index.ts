/** Opens the storage backend named in the server configuration. */
import { invalid } from '../core/errors.js';
import type { StorageBackend } from './backend.js';
import { InmemBackend } from './inmem.js';

/** A Go `strconv.ParseBool` value, as Vault reads its boolean options; unset is false. */
function parseBool(field: string, value: string | boolean | undefined): boolean {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw invalid(`${field} must be "true" or "false"`);
}

export async function openStorage(type: string, config: Record<string, string>): Promise<StorageBackend> {
  switch (type) {
    case 'inmem':
      return new InmemBackend();
    case 'sqlite': {
      if (!config.path) throw invalid('storage "sqlite": path is required');
      const { SqliteBackend } = await import('./sqlite.js');
      return new SqliteBackend(config.path);
    }
    case 'postgresql': {
      if (!config.connection_url) throw invalid('storage "postgresql": connection_url is required');
      const { PostgresqlBackend } = await import('./postgresql.js');
      return PostgresqlBackend.open({
        connectionUrl: config.connection_url,
        table: config.table,
        maxConnections: config.max_parallel ? Number(config.max_parallel) : undefined,
        haEnabled: parseBool('storage "postgresql": ha_enabled', config.ha_enabled),
        haTable: config.ha_table,
      });
    }
    default:
      throw invalid(`unknown storage type: ${type}`);
  }
}
