/** Opens the storage backend named in the server configuration. */
import { invalid } from '../core/errors.js';
import type { StorageBackend } from './backend.js';
import { InmemBackend } from './inmem.js';

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
      });
    }
    default:
      throw invalid(`unknown storage type: ${type}`);
  }
}
