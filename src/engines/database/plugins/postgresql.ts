/**
 * `postgresql-database-plugin`: creates, renews, re-passwords and drops PostgreSQL roles through a
 * `pg` pool per configured connection. Statements run in one transaction each; errors are
 * stripped of the connection's password before they leave the plugin.
 */
import pg from 'pg';
import type {
  DatabasePlugin,
  DeleteUserRequest,
  InitializeRequest,
  NewUserRequest,
  UpdateUserRequest,
} from '../plugin.js';
import { compileUsernameTemplate, type UsernameTemplate } from '../username-template.js';
import {
  type PostgresSettings,
  parsePostgresSettings,
  renderConnectionUrl,
  toStoredSettings,
} from './postgresql-settings.js';
import { describe, redactSecrets } from './redact.js';
import { type BareQuoting, renderStatement } from './sql-template.js';
import { formatSqlExpiration, splitStatements } from './statements.js';

export const POSTGRES_PLUGIN_NAME = 'postgresql-database-plugin';

const DEFAULT_RENEW = `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`;
const DEFAULT_CHANGE_PASSWORD = `ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`;
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 30_000;

const pgQuoting: BareQuoting = { identifier: pg.escapeIdentifier, literal: pg.escapeLiteral };
const ident = pg.escapeIdentifier;

/**
 * A role's statements as Vault's PostgreSQL plugin reads them: an entry with a `$$` body (a DO
 * block, a function) runs as written; any other is decoded and split as every SQL plugin does.
 */
function commandsOf(entries: readonly string[] | undefined): string[] {
  return (entries ?? []).flatMap((entry) =>
    entry.includes('$$') ? (entry.trim() === '' ? [] : [entry]) : splitStatements([entry]),
  );
}

class PostgresPlugin implements DatabasePlugin {
  readonly type = POSTGRES_PLUGIN_NAME;
  private pool?: pg.Pool;
  private settings?: PostgresSettings;
  private template?: UsernameTemplate;

  /** An error safe for clients and logs: the root password, the filled-in URL and `extraSecrets` are masked. */
  private fail(context: string, error: unknown, extraSecrets: string[] = []): Error {
    return new Error(redactSecrets(`${context}: ${describe(error)}`, [...this.secrets(), ...extraSecrets]));
  }

  /** The root password, as a setting or written straight into connection_url, and the URL itself. */
  private secrets(): (string | undefined)[] {
    const settings = this.settings;
    if (!settings) return [];
    const url = renderConnectionUrl(settings);
    let inUrl: string | undefined;
    try {
      inUrl = decodeURIComponent(new URL(url).password) || undefined;
    } catch {
      // not a URL (a key=value DSN): the password setting is all there is to mask
    }
    return [url, settings.password, inUrl];
  }

  async initialize(request: InitializeRequest) {
    const settings = parsePostgresSettings(request.config);
    let template: UsernameTemplate;
    try {
      template = compileUsernameTemplate(settings.usernameTemplate);
    } catch (error) {
      throw new Error(`invalid username_template: ${describe(error)}`);
    }
    await this.close();
    this.settings = settings;
    this.template = template;
    const pool = new pg.Pool({
      connectionString: renderConnectionUrl(settings),
      max: settings.maxOpenConnections,
      maxLifetimeSeconds: settings.maxConnectionLifetimeSeconds,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle client whose server went away emits here; without a listener Node would crash.
    pool.on('error', () => undefined);
    this.pool = pool;
    if (request.verifyConnection) {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        const failure = this.fail('error verifying connection', error);
        await this.close();
        throw failure;
      }
    }
    return toStoredSettings(settings, request.config);
  }

  private requirePool(): pg.Pool {
    if (!this.pool) throw new Error('plugin is not initialized');
    return this.pool;
  }

  /** Runs templated statements in one transaction; any failure rolls all of them back. */
  private async inTransaction(statements: string[], values: Record<string, string>): Promise<void> {
    const client = await this.requirePool().connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(renderStatement(statement, values, pgQuoting));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true; // the connection itself failed: do not return it to the pool
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async newUser(request: NewUserRequest) {
    const statements = commandsOf(request.statements);
    if (statements.length === 0) throw new Error('empty creation statements');
    const username = this.template!.render(request.usernameConfig);
    const values = {
      name: username,
      username,
      password: request.password,
      expiration: formatSqlExpiration(request.expiration),
    };
    try {
      await this.inTransaction(statements, values);
    } catch (error) {
      const rollback = commandsOf(request.rollbackStatements);
      let rollbackNote = '';
      if (rollback.length > 0) {
        // The transaction already undid the creation; rollback statements cover side effects outside it.
        await this.inTransaction(rollback, { name: username, username }).catch((rollbackError: unknown) => {
          rollbackNote = `; rollback statements also failed: ${describe(rollbackError)}`;
        });
      }
      throw this.fail('failed to execute query', `${describe(error)}${rollbackNote}`, [request.password]);
    }
    return { username };
  }

  async updateUser(request: UpdateUserRequest) {
    if (!request.username) throw new Error('missing username');
    if (!request.password && !request.expiration) throw new Error('no changes requested');
    const username = request.username;
    if (request.password) {
      const { newPassword, statements } = request.password;
      if (!newPassword) throw new Error('missing password');
      const given = commandsOf(statements);
      const commands = given.length ? given : [DEFAULT_CHANGE_PASSWORD];
      await this.inTransaction(commands, { name: username, username, password: newPassword }).catch(
        (error: unknown) => {
          throw this.fail('failed to change password', error, [newPassword]);
        },
      );
    }
    if (request.expiration) {
      const { newExpiration, statements } = request.expiration;
      const given = commandsOf(statements);
      const commands = given.length ? given : [DEFAULT_RENEW];
      const expiration = formatSqlExpiration(newExpiration);
      await this.inTransaction(commands, { name: username, username, expiration }).catch((error: unknown) => {
        throw this.fail('failed to change expiration', error);
      });
    }
  }

  async deleteUser(request: DeleteUserRequest) {
    const statements = commandsOf(request.statements);
    try {
      if (statements.length > 0) {
        await this.inTransaction(statements, { name: request.username, username: request.username });
      } else {
        await this.dropRole(request.username);
      }
    } catch (error) {
      throw this.fail('failed to revoke user', error);
    }
  }

  /**
   * The default revocation: no new logins, privileges revoked, live sessions ended, role dropped.
   * Revokes are best effort (as much access as possible goes even if one fails); the drop decides.
   */
  private async dropRole(username: string): Promise<void> {
    const pool = this.requirePool();
    const found = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
    if (found.rowCount === 0) return; // already gone: revoking twice succeeds
    const schemas = await pool.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.role_table_grants WHERE grantee = $1
       UNION SELECT table_schema FROM information_schema.role_column_grants WHERE grantee = $1
       UNION SELECT n.nspname FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
             JOIN pg_roles r ON r.oid = a.grantee WHERE r.rolname = $1
       UNION SELECT 'public'`,
      [username],
    );
    const role = ident(username);
    const revokes = [`ALTER ROLE ${role} NOLOGIN`];
    for (const { schema } of schemas.rows) {
      const s = ident(schema);
      revokes.push(
        `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${s} FROM ${role}`,
        `REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA ${s} FROM ${role}`,
        `REVOKE ALL PRIVILEGES ON SCHEMA ${s} FROM ${role}`,
      );
    }
    const database = await pool.query<{ name: string }>('SELECT current_database() AS name');
    revokes.push(`REVOKE ALL PRIVILEGES ON DATABASE ${ident(database.rows[0].name)} FROM ${role}`);
    for (const statement of revokes) await pool.query(statement).catch(() => undefined);
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [username]);
    await pool.query(`DROP ROLE IF EXISTS ${role}`);
  }

  async close() {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}

export const createPostgresPlugin = (): DatabasePlugin => new PostgresPlugin();
