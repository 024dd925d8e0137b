/**
 * The MySQL plugin's connection settings and pool (Vault's mySQLConnectionProducer): `connection_url`
 * with `{{username}}`/`{{password}}`, pool sizes, `max_connection_lifetime`, and TLS from the DSN's
 * `tls` parameter or from `tls_ca` / `tls_certificate_key` (PEM).
 */
import type { SecureContextOptions } from 'node:tls';
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import { invalid } from '../../../core/errors.js';
import type { ConnectionSettings } from '../plugin.js';
import { type MysqlDsn, parseMysqlDsn } from './mysql-dsn.js';
import { readDurationSeconds, readInt, readString } from './settings.js';

export interface MysqlConnectionSettings {
  dsn: MysqlDsn;
  maxOpenConnections: number;
  maxIdleConnections: number;
  maxConnectionLifetimeSeconds: number;
  tlsCa: string;
  tlsCertificateKey: string;
}

/** Reads and checks the settings; the password only ever lands in `dsn.password`. */
export function readMysqlSettings(config: ConnectionSettings): MysqlConnectionSettings {
  const template = readString(config, 'connection_url');
  if (template === '') throw invalid('connection_url cannot be empty');
  // Parse the template before substituting, so special characters in the password cannot
  // change how the DSN splits (Vault substitutes first).
  const dsn = parseMysqlDsn(template);
  const fill = (text: string) =>
    text
      .replaceAll('{{username}}', readString(config, 'username'))
      .replaceAll('{{password}}', readString(config, 'password'));
  const maxOpen = readInt(config, 'max_open_connections', 0) || 4;
  const maxIdle = readInt(config, 'max_idle_connections', 0) || maxOpen;
  const lifetime = readDurationSeconds(config, 'max_connection_lifetime');
  if (maxOpen < 0 || maxIdle < 0 || lifetime < 0) throw invalid('connection limits cannot be negative');
  return {
    dsn: { ...dsn, user: fill(dsn.user), password: fill(dsn.password) },
    maxOpenConnections: maxOpen,
    maxIdleConnections: Math.min(maxIdle, maxOpen),
    maxConnectionLifetimeSeconds: lifetime,
    tlsCa: readString(config, 'tls_ca'),
    tlsCertificateKey: readString(config, 'tls_certificate_key'),
  };
}

function tlsOptions(settings: MysqlConnectionSettings): PoolOptions['ssl'] {
  const mode = settings.dsn.params.tls ?? 'false';
  if (settings.tlsCa || settings.tlsCertificateKey) {
    // One PEM holds both the client certificate and its key; OpenSSL picks each block out of it.
    const pem = settings.tlsCertificateKey || undefined;
    const options: SecureContextOptions = { ca: settings.tlsCa || undefined, cert: pem, key: pem };
    return { ...options, rejectUnauthorized: mode !== 'skip-verify' } as PoolOptions['ssl'];
  }
  if (mode === 'true') return { rejectUnauthorized: true };
  if (mode === 'skip-verify') return { rejectUnauthorized: false };
  if (mode === 'false') return undefined;
  throw invalid(`invalid connection_url: tls=${mode} is not supported (use true, skip-verify or false)`);
}

function connectTimeoutMs(settings: MysqlConnectionSettings): number | undefined {
  const timeout = settings.dsn.params.timeout;
  if (timeout === undefined) return undefined;
  const seconds = readDurationSeconds({ timeout }, 'timeout');
  return Math.max(seconds, 1) * 1000;
}

export function poolOptions(settings: MysqlConnectionSettings): PoolOptions {
  const { dsn } = settings;
  return {
    host: dsn.host,
    port: dsn.port,
    socketPath: dsn.socketPath,
    user: dsn.user,
    password: dsn.password,
    database: dsn.database || undefined,
    charset: dsn.params.charset?.split(',')[0],
    ssl: tlsOptions(settings),
    connectTimeout: connectTimeoutMs(settings),
    connectionLimit: settings.maxOpenConnections,
    maxIdle: settings.maxIdleConnections,
    multipleStatements: false, // one statement per query, as Vault splits them
    waitForConnections: true,
  };
}

/**
 * How long a statement of ours waits for a metadata lock (CREATE USER behind another session's
 * open transaction on the grant tables) before failing, in seconds. (InnoDB row locks have their own
 * limit, innodb_lock_wait_timeout, 50 s by default.) The defaults are a year
 * (MySQL) and a day (MariaDB): such a statement held its pooled connection that long, where PostgreSQL's plugin cancels at
 * 90 s (Vault's request deadline). Both MySQL and MariaDB know this variable.
 */
export const LOCK_WAIT_TIMEOUT_SECONDS = 90;

/** A mysql2 pool that also retires connections older than `max_connection_lifetime`. */
export class MysqlPool {
  private readonly pool: Pool;
  private readonly firstSeen = new WeakMap<object, number>();

  constructor(
    private readonly settings: MysqlConnectionSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.pool = createPool(poolOptions(settings));
    // Queued on each new connection before anything else runs on it (mysql2 runs a connection's
    // commands in order). The event hands over the callback-style connection, whatever the types say.
    this.pool.pool.on('connection', (connection) => {
      connection.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_TIMEOUT_SECONDS}`, () => undefined);
    });
  }

  async acquire(): Promise<PoolConnection> {
    const lifetimeMs = this.settings.maxConnectionLifetimeSeconds * 1000;
    for (;;) {
      const connection = await this.pool.getConnection();
      const core = connection.connection;
      const born = this.firstSeen.get(core) ?? this.now();
      this.firstSeen.set(core, born);
      if (lifetimeMs === 0 || this.now() - born < lifetimeMs) return connection;
      connection.destroy();
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
