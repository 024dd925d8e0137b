/**
 * The connection settings of `postgresql-database-plugin`: validated, defaulted, and turned into
 * the `pg` pool options, with `{{username}}`/`{{password}}` filled into `connection_url`.
 */
import { invalid } from '../../../core/errors.js';
import type { ConnectionSettings } from '../plugin.js';
import { readDurationSeconds, readInt, readString } from './settings.js';

/** Vault's default for PostgreSQL (plugins/database/postgresql/postgresql.go). */
export const DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
const DEFAULT_MAX_OPEN = 4;
const MAX_URL_LENGTH = 8192;

/**
 * How a password reaches PostgreSQL in the statements: `password` as it is (Vault's default), or
 * `scram-sha-256` as the verifier Coffer makes, so the plain password never travels to the database
 * or lands in its statement logs.
 */
export type PasswordAuthentication = 'password' | 'scram-sha-256';
const PASSWORD_AUTHENTICATIONS: readonly string[] = ['password', 'scram-sha-256'];

export interface PostgresSettings {
  connectionUrl: string;
  username?: string;
  password?: string;
  maxOpenConnections: number;
  maxIdleConnections: number;
  maxConnectionLifetimeSeconds: number;
  usernameTemplate: string;
  passwordAuthentication: PasswordAuthentication;
}

/** A string setting read as every plugin reads them; empty means unset. */
function optionalString(config: ConnectionSettings, key: string): string | undefined {
  return readString(config, key) || undefined;
}

function count(config: ConnectionSettings, key: string, fallback: number): number {
  const value = readInt(config, key, fallback);
  if (value < 0) throw invalid(`${key} must be a non-negative integer`);
  return value;
}

function passwordAuthentication(config: ConnectionSettings): PasswordAuthentication {
  const given = readString(config, 'password_authentication');
  if (given === '') return 'password';
  if (!PASSWORD_AUTHENTICATIONS.includes(given))
    throw invalid(`'${given}' is not a valid password authentication type`);
  return given as PasswordAuthentication;
}

function lifetime(config: ConnectionSettings): number {
  if (config.max_connection_lifetime === '') return 0;
  const seconds = readDurationSeconds(config, 'max_connection_lifetime');
  if (seconds < 0) throw invalid('invalid max_connection_lifetime');
  return seconds;
}

export function parsePostgresSettings(config: ConnectionSettings): PostgresSettings {
  const connectionUrl = optionalString(config, 'connection_url');
  if (!connectionUrl) throw invalid('connection_url cannot be empty');
  if (connectionUrl.length > MAX_URL_LENGTH) throw invalid('connection_url is too long');
  const username = optionalString(config, 'username');
  const password = optionalString(config, 'password');
  if (connectionUrl.includes('{{username}}') && !username)
    throw invalid('connection_url references {{username}} but username is not set');
  if (connectionUrl.includes('{{password}}') && !password)
    throw invalid('connection_url references {{password}} but password is not set');
  const maxOpenConnections = count(config, 'max_open_connections', DEFAULT_MAX_OPEN) || DEFAULT_MAX_OPEN;
  // Vault: no idle setting means as many idle connections as open ones, and never more.
  const idle = count(config, 'max_idle_connections', 0) || maxOpenConnections;
  return {
    connectionUrl,
    username,
    password,
    maxOpenConnections,
    maxIdleConnections: Math.min(idle, maxOpenConnections),
    maxConnectionLifetimeSeconds: lifetime(config),
    usernameTemplate: optionalString(config, 'username_template') ?? DEFAULT_USERNAME_TEMPLATE,
    passwordAuthentication: passwordAuthentication(config),
  };
}

/** What is stored and shown back (minus the password, which the engine strips on read). */
export function toStoredSettings(settings: PostgresSettings, config: ConnectionSettings): ConnectionSettings {
  return {
    connection_url: settings.connectionUrl,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    max_open_connections: settings.maxOpenConnections,
    max_idle_connections: settings.maxIdleConnections,
    max_connection_lifetime: `${settings.maxConnectionLifetimeSeconds}s`,
    ...(config.username_template ? { username_template: settings.usernameTemplate } : {}),
    ...(config.password_authentication ? { password_authentication: settings.passwordAuthentication } : {}),
  };
}

/** Fills the credentials into the URL, percent-encoded so a `@` or `/` in a password cannot change the host. */
export function renderConnectionUrl(settings: PostgresSettings): string {
  return settings.connectionUrl
    .replaceAll('{{username}}', encodeURIComponent(settings.username ?? ''))
    .replaceAll('{{password}}', encodeURIComponent(settings.password ?? ''));
}
