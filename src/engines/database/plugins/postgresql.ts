/**
 * `postgresql-database-plugin`: creates, renews, re-passwords and drops PostgreSQL roles through a
 * `pg` pool per configured connection. Statements run in one transaction each; errors are
 * stripped of the connection's password before they leave the plugin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { withPgClient } from '../../../storage/pg-client.js';
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
import { scramSha256Verifier } from './scram.js';
import { type BareQuoting, renderStatement } from './sql-template.js';
import { formatSqlExpiration, splitStatements } from './statements.js';

export const POSTGRES_PLUGIN_NAME = 'postgresql-database-plugin';

const DEFAULT_RENEW = `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`;
const DEFAULT_CHANGE_PASSWORD = `ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * PostgreSQL cancels any statement of ours that runs longer: Vault's max_request_duration (90 s) does
 * the same to a plugin call. Without it a statement waiting on a lock (another session's open
 * transaction on the role catalog) held its request and its pooled connection for good.
 */
export const STATEMENT_TIMEOUT_MS = 90_000;
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

/**
 * A role's OID and where it holds privileges in the current database: schemas with table, column
 * or sequence grants, schemas granted themselves, and the database. Read from pg_shdepend, which
 * records every ACL entry naming a role (DROP ROLE itself checks it), through its role index: the
 * information_schema views scan every relation and took 43 ms a revocation.
 */
export const ROLE_GRANTS = `
  WITH role AS (SELECT oid FROM pg_roles WHERE rolname = $1),
  here AS (SELECT oid FROM pg_database WHERE datname = current_database()),
  grants AS (
    SELECT d.classid, d.objid, d.dbid FROM pg_shdepend d, role
     WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = role.oid AND d.deptype = 'a')
  SELECT role.oid, current_database() AS database,
    ARRAY(SELECT DISTINCT n.nspname FROM grants g
            JOIN pg_class c ON g.classid = 'pg_class'::regclass AND c.oid = g.objid
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE g.dbid = (SELECT oid FROM here))::text[] AS object_schemas,
    ARRAY(SELECT n.nspname FROM grants g
            JOIN pg_namespace n ON g.classid = 'pg_namespace'::regclass AND n.oid = g.objid
           WHERE g.dbid = (SELECT oid FROM here))::text[] AS granted_schemas,
    EXISTS(SELECT 1 FROM grants g
            WHERE g.classid = 'pg_database'::regclass AND g.objid = (SELECT oid FROM here)) AS database_granted
  FROM role`;

export const END_SESSIONS = 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = $1';

export interface RoleGrants {
  oid: number;
  database: string;
  object_schemas: string[];
  granted_schemas: string[];
  database_granted: boolean;
}

/**
 * The statements that take a role's access away: logins first, then exactly the grants it holds.
 * Revoking only what is held matters beyond speed: a REVOKE rewrites the schema's or database's
 * catalog row even when there is nothing to revoke, so blanket revokes of `public` from concurrent
 * revocations collide ("tuple concurrently updated").
 */
export function revocationStatements(username: string, grants: RoleGrants): string[] {
  const role = ident(username);
  const statements = [`ALTER ROLE ${role} NOLOGIN`];
  for (const schema of grants.object_schemas) {
    statements.push(
      `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${ident(schema)} FROM ${role}`,
      `REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA ${ident(schema)} FROM ${role}`,
    );
  }
  for (const schema of grants.granted_schemas) {
    statements.push(`REVOKE ALL PRIVILEGES ON SCHEMA ${ident(schema)} FROM ${role}`);
  }
  if (grants.database_granted) {
    statements.push(`REVOKE ALL PRIVILEGES ON DATABASE ${ident(grants.database)} FROM ${role}`);
  }
  return statements;
}

/** PostgreSQL's answer when two transactions rewrite the same catalog row (a shared schema's ACL). */
const isConcurrentUpdate = (error: unknown) => /tuple concurrently updated/.test(describe(error));
const CONFLICT_ATTEMPTS = 10;

/**
 * Runs one statement inside the open transaction behind a savepoint: on failure only this
 * statement is undone and its error returned, so the caller can go on with the next one.
 */
async function attemptStatement(client: pg.PoolClient, statement: string): Promise<unknown> {
  await client.query('SAVEPOINT coffer_step');
  try {
    await client.query(statement);
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT coffer_step');
    return error;
  }
  await client.query('RELEASE SAVEPOINT coffer_step');
  return undefined;
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
      statement_timeout: STATEMENT_TIMEOUT_MS,
    });
    // An idle client whose server went away emits here; without a listener Node would crash.
    pool.on('error', () => undefined);
    // max_idle_connections: pg-pool keeps every released connection idle, so one that would go over
    // the limit, with no request waiting for it, is closed instead (a closing client leaves the pool).
    pool.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
      if (pool.idleCount >= settings.maxIdleConnections && pool.waitingCount === 0)
        void client.end().catch(() => undefined);
    });
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

  /**
   * Runs one transaction (`attempt` sends its BEGIN and COMMIT) on a pooled connection; any failure
   * rolls all of it back. A collision with a concurrent change to the same catalog row is tried
   * again (a GRANT or REVOKE rewrites the schema's or database's row, so two credentials granted on
   * one schema at the same moment make one fail with "tuple concurrently updated"); the transaction
   * had no effect, so running it again is safe.
   */
  private transact<T>(attempt: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPgClient(this.requirePool(), async (client, lose) => {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt(client);
        } catch (error) {
          let broken = false;
          await client.query('ROLLBACK').catch(() => {
            broken = true; // the connection itself failed: do not return it to the pool
            lose();
          });
          if (broken || tries >= CONFLICT_ATTEMPTS || !isConcurrentUpdate(error)) throw error;
          await sleep(Math.random() * 5 * tries); // jitter, so the colliding ones spread out
        }
      }
    });
  }

  /** `work` between BEGIN and COMMIT, one statement per round trip. */
  private withTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.transact(async (client) => {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    });
  }

  /**
   * Complete statements as one transaction in one round trip: BEGIN, each of them and COMMIT sent
   * together (PostgreSQL stops at the first failure). A newline comes before each `;`, so a
   * statement ending in a `--` comment cannot swallow the separator.
   */
  private inOneRoundTrip(statements: string[]): Promise<void> {
    return this.transact(async (client) => {
      await client.query(['BEGIN', ...statements, 'COMMIT'].join('\n;\n'));
    });
  }

  /**
   * What `{{password}}` becomes in a statement: the password itself, or with
   * `password_authentication = "scram-sha-256"` the SCRAM verifier PostgreSQL stores as given.
   */
  private async passwordValue(password: string): Promise<string> {
    return this.settings?.passwordAuthentication === 'scram-sha-256'
      ? scramSha256Verifier(password)
      : password;
  }

  /** Runs templated statements in one transaction. */
  private inTransaction(statements: string[], values: Record<string, string>): Promise<void> {
    return this.inOneRoundTrip(statements.map((statement) => renderStatement(statement, values, pgQuoting)));
  }

  async newUser(request: NewUserRequest) {
    const statements = commandsOf(request.statements);
    if (statements.length === 0) throw new Error('empty creation statements');
    const username = this.template!.render(request.usernameConfig);
    const password = await this.passwordValue(request.password);
    const values = {
      name: username,
      username,
      password,
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
      throw this.fail('failed to execute query', `${describe(error)}${rollbackNote}`, [
        request.password,
        password,
      ]);
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
      const password = await this.passwordValue(newPassword);
      await this.inTransaction(commands, { name: username, username, password }).catch((error: unknown) => {
        throw this.fail('failed to change password', error, [newPassword, password]);
      });
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
        await this.inTransaction(statements, { name: request.username, username: request.username }).catch(
          async (error: unknown) => {
            // A user dropped by hand makes custom statements (a plain DROP ROLE) fail with "does not
            // exist" (42704, undefined_object) forever, and the lease would end irrevocable (Vault
            // #3410): such a failure, for a user that is indeed gone, is a revocation done. Any other
            // failure stands (a permission error above all), and so does this one while a role of that
            // exact name still exists.
            const undefinedObject = (error as { code?: string }).code === '42704';
            if (!undefinedObject || (await this.roleExists(request.username).catch(() => true))) throw error;
          },
        );
      } else {
        await this.dropRole(request.username);
      }
    } catch (error) {
      throw this.fail('failed to revoke user', error);
    }
  }

  private async roleExists(username: string): Promise<boolean> {
    const found = await this.requirePool().query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
    return (found.rowCount ?? 0) > 0;
  }

  /**
   * The default revocation: no new logins, the role's grants revoked, role dropped, then its live
   * sessions ended. Like Vault's, revokes are best effort (as much access as possible goes even if
   * one fails) and the drop decides. Unlike Vault's one commit per statement, they share one
   * transaction: first as one batch (one round trip, one durable commit); if that fails, one
   * statement at a time, each behind a savepoint so a failing revoke undoes only itself and the
   * others still commit.
   */
  private async dropRole(username: string): Promise<void> {
    const pool = this.requirePool();
    // Named, so each connection parses and plans these catalog queries once, not per revocation
    // (measured: parse and plan were 1.7 of the 2.4 ms PostgreSQL spent on them per revocation).
    const found = await pool.query<RoleGrants>({
      name: 'coffer-role-grants',
      text: ROLE_GRANTS,
      values: [username],
    });
    if (found.rowCount === 0) return; // already gone: revoking twice succeeds
    const grants = found.rows[0];
    const revokes = revocationStatements(username, grants);
    const drop = `DROP ROLE IF EXISTS ${ident(username)}`;

    let dropError: unknown;
    try {
      await this.inOneRoundTrip([...revokes, drop]);
    } catch {
      // Something in the batch failed: take away all that can be taken, one statement at a time.
      dropError = await this.withTransaction(async (client) => {
        for (const statement of revokes) await attemptStatement(client, statement);
        return attemptStatement(client, drop);
      });
    }
    // After the commit no new session can start and the role holds no grants; end the ones that
    // were already open (by OID: once dropped, a role has no name in pg_stat_activity).
    await pool.query({ name: 'coffer-end-sessions', text: END_SESSIONS, values: [grants.oid] });
    if (dropError) throw dropError;
  }

  async close() {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}

export const createPostgresPlugin = (): DatabasePlugin => new PostgresPlugin();
