/**
 * MySQL and MariaDB (`mysql-database-plugin` and the aurora/rds/legacy names, which differ only in
 * the default username template) over mysql2, with Vault's statements and defaults.
 */
import type { PoolConnection } from 'mysql2/promise';
import { CofferError, invalid } from '../../../core/errors.js';
import type {
  ConnectionSettings,
  DatabasePlugin,
  DeleteUserRequest,
  InitializeRequest,
  NewUserRequest,
  UpdateUserRequest,
} from '../plugin.js';
import { compileUsernameTemplate, type UsernameTemplate } from '../username-template.js';
import { MysqlPool, readMysqlSettings } from './mysql-connection.js';
import { redactedError } from './redact.js';
import { readString } from './settings.js';
import { formatSqlExpiration, renderVerbatim, splitStatements } from './statements.js';

/** Vault's defaults: 32 characters fit MySQL 5.7+; the legacy 16 fit MySQL before 5.7. */
export const MYSQL_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) (random 20) (unix_time) | truncate 32 }}';
// Vault's legacy template has three %s for two values; the MISSING marker is always cut off at 16.
export const MYSQL_LEGACY_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}';

const DEFAULT_REVOCATION =
  "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%'; DROP USER '{{name}}'@'%'";
const DEFAULT_ROTATION = "ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}'";

// Values go into statements unquoted (as in Vault), so a quote or backslash would change the SQL.
const UNSAFE_IN_SQL_LITERAL = /['"`\\\0]/;

/** MySQL's "the user does not exist" answers to REVOKE / DROP USER. */
const NO_SUCH_USER_ERRORS = new Set([1141, 1269, 1396]);

class MysqlPlugin implements DatabasePlugin {
  private pool?: MysqlPool;
  private usernames?: UsernameTemplate;
  private adminPassword = '';

  constructor(
    readonly type: string,
    private readonly defaultUsernameTemplate: string,
  ) {}

  async initialize({ config, verifyConnection }: InitializeRequest): Promise<ConnectionSettings> {
    const usernames = compileTemplate(
      readString(config, 'username_template') || this.defaultUsernameTemplate,
    );
    const settings = readMysqlSettings(config);
    await this.close();
    this.usernames = usernames;
    this.adminPassword = settings.dsn.password;
    this.pool = new MysqlPool(settings);
    if (verifyConnection) {
      try {
        const connection = await this.pool.acquire();
        try {
          await connection.ping();
        } finally {
          connection.release();
        }
      } catch (error) {
        await this.close();
        throw redactedError('error verifying connection', error, [settings.dsn.password], 'invalid_request');
      }
    }
    return config;
  }

  async newUser(request: NewUserRequest): Promise<{ username: string }> {
    const usernames = this.usernames;
    if (!usernames) throw notInitialized();
    const username = usernames.render(request.usernameConfig);
    assertSafeValue('generated username', username);
    assertSafeValue('generated password', request.password);
    const values = {
      name: username,
      username,
      password: request.password,
      expiration: formatSqlExpiration(request.expiration),
    };
    const queries = splitStatements(request.statements).map((query) => renderVerbatim(query, values));
    if (queries.length === 0) throw invalid('empty creation statements');
    await this.withConnection([request.password], 'unable to create user', async (connection) => {
      try {
        await runInTransaction(connection, queries);
      } catch (error) {
        await rollBackUser(connection, username, request.rollbackStatements);
        throw error;
      }
    });
    return { username };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    if (!request.password && !request.expiration) throw invalid('no change requested');
    // A new expiration needs nothing at the database: MySQL users do not expire (as in Vault).
    if (!request.password) return;
    const { newPassword, statements } = request.password;
    if (request.username === '' || newPassword === '') {
      throw invalid('must provide both username and password');
    }
    // A static role's username is written by an operator and lands unquoted in the SQL too.
    assertSafeValue('username', request.username);
    assertSafeValue('generated password', newPassword);
    const values = { name: request.username, username: request.username, password: newPassword };
    const queries = splitStatements(statements.length > 0 ? statements : [DEFAULT_ROTATION]).map((query) =>
      renderVerbatim(query, values),
    );
    await this.withConnection([newPassword], 'failed to change password', (connection) =>
      runInTransaction(connection, queries),
    );
  }

  async deleteUser(request: DeleteUserRequest): Promise<void> {
    const name = request.username;
    const values = { name, username: name };
    const entries = request.statements.length > 0 ? request.statements : [DEFAULT_REVOCATION];
    const queries = splitStatements(entries).map((query) => renderVerbatim(query, values));
    await this.withConnection([], 'unable to delete user', async (connection) => {
      // Idempotent: a user already gone (revoked twice, or dropped by hand) is not an error.
      if (await userExists(connection, name)) {
        try {
          await runInTransaction(connection, queries);
        } catch (error) {
          if (!(isNoSuchUser(error) && !(await userExists(connection, name)))) throw error;
        }
      }
      // DROP USER leaves open sessions running, so end them too.
      await killSessions(connection, name);
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private async withConnection<T>(
    secrets: string[],
    context: string,
    work: (connection: PoolConnection) => Promise<T>,
  ): Promise<T> {
    const pool = this.pool;
    if (!pool) throw notInitialized();
    const allSecrets = [...secrets, this.adminPassword];
    let connection: PoolConnection;
    try {
      connection = await pool.acquire();
    } catch (error) {
      throw redactedError('unable to connect to the database', error, allSecrets);
    }
    try {
      return await work(connection);
    } catch (error) {
      throw redactedError(context, error, allSecrets);
    } finally {
      connection.release();
    }
  }
}

/** Compiling also renders once, so a template that cannot produce a name fails the config write. */
function compileTemplate(source: string): UsernameTemplate {
  try {
    return compileUsernameTemplate(source);
  } catch (error) {
    throw invalid(`invalid username template: ${(error as Error).message}`);
  }
}

const notInitialized = () => new CofferError('internal', 'the mysql plugin is not initialized');

function assertSafeValue(what: string, value: string): void {
  if (UNSAFE_IN_SQL_LITERAL.test(value)) {
    throw invalid(`the ${what} contains a quote or backslash and cannot be used in SQL`);
  }
}

/** Vault runs the statements in one transaction; MySQL commits implicitly around DDL, though. */
async function runInTransaction(connection: PoolConnection, queries: string[]): Promise<void> {
  await connection.query('START TRANSACTION');
  try {
    for (const query of queries) await connection.query(query);
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Undoes a half-made user. DDL cannot be rolled back, so this runs the role's rollback statements,
 * or, without any, drops every account with the new (random, so certainly ours) name.
 * Failures here are swallowed: the creation error is the one to report.
 */
async function rollBackUser(connection: PoolConnection, name: string, statements: string[]): Promise<void> {
  const values = { name, username: name };
  const queries = splitStatements(statements).map((query) => renderVerbatim(query, values));
  for (const query of queries) await connection.query(query).catch(() => undefined);
  if (queries.length > 0) return;
  for (const host of await accountHosts(connection, name)) {
    await connection.query('DROP USER ?@?', [name, host]).catch(() => undefined);
  }
}

async function accountHosts(connection: PoolConnection, name: string): Promise<string[]> {
  try {
    const [rows] = await connection.query('SELECT Host FROM mysql.user WHERE User = ?', [name]);
    return (rows as { Host: string }[]).map((row) => row.Host);
  } catch {
    return [];
  }
}

/** True when mysql.user lists the name, or when the check itself is not allowed (then try anyway). */
async function userExists(connection: PoolConnection, name: string): Promise<boolean> {
  try {
    const [rows] = await connection.query('SELECT 1 FROM mysql.user WHERE User = ? LIMIT 1', [name]);
    return (rows as unknown[]).length > 0;
  } catch {
    return true;
  }
}

async function killSessions(connection: PoolConnection, name: string): Promise<void> {
  const [rows] = await connection.query('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [
    name,
  ]);
  for (const { ID } of rows as { ID: number }[]) {
    await connection.query('KILL CONNECTION ?', [ID]).catch(() => undefined); // already gone is fine
  }
}

function isNoSuchUser(error: unknown): boolean {
  const errno = (error as { errno?: unknown }).errno;
  return typeof errno === 'number' && NO_SUCH_USER_ERRORS.has(errno);
}

export const mysqlPlugin = () => new MysqlPlugin('mysql-database-plugin', MYSQL_USERNAME_TEMPLATE);
export const mysqlAuroraPlugin = () =>
  new MysqlPlugin('mysql-aurora-database-plugin', MYSQL_LEGACY_USERNAME_TEMPLATE);
export const mysqlRdsPlugin = () =>
  new MysqlPlugin('mysql-rds-database-plugin', MYSQL_LEGACY_USERNAME_TEMPLATE);
export const mysqlLegacyPlugin = () =>
  new MysqlPlugin('mysql-legacy-database-plugin', MYSQL_LEGACY_USERNAME_TEMPLATE);
