/**
 * Redis 6+ ACL users (`redis-database-plugin`) over ioredis, as Vault's vault-plugin-database-redis:
 * a role's creation statement is a JSON array of ACL rules, e.g. `["~*", "+@read"]`.
 */
import { randomInt } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { CofferError, invalid } from '../../../core/errors.js';
import type {
  ConnectionSettings,
  DatabasePlugin,
  DeleteUserRequest,
  InitializeRequest,
  NewUserRequest,
  UpdateUserRequest,
} from '../plugin.js';
import { redactedError } from './redact.js';
import { readBool, readInt, readString } from './settings.js';

/** Vault's rules when a role has no creation statement: every key, read commands only. */
export const DEFAULT_ACL_RULES = ['~*', '+@read'];
/** Vault cuts the display and role names to 64 characters each, the whole name to 100. */
const NAME_PART_MAX = 64;
const USERNAME_MAX = 100;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface RedisSettings {
  host: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
  insecureTls: boolean;
  caCert: string;
}

function readRedisSettings(config: ConnectionSettings): RedisSettings {
  const settings = {
    host: readString(config, 'host'),
    port: readInt(config, 'port', 0),
    username: readString(config, 'username'),
    password: readString(config, 'password'),
    tls: readBool(config, 'tls'),
    insecureTls: readBool(config, 'insecure_tls'),
    caCert: readString(config, 'ca_cert'),
  };
  if (settings.host === '') throw invalid('host cannot be empty');
  if (settings.port < 1 || settings.port > 65535) throw invalid('port cannot be empty');
  if (settings.username === '') throw invalid('username cannot be empty');
  if (settings.password === '') throw invalid('password cannot be empty');
  return settings;
}

function clientOptions(settings: RedisSettings): RedisOptions {
  return {
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    tls: settings.tls
      ? { ca: settings.caCert || undefined, rejectUnauthorized: !settings.insecureTls }
      : undefined,
    lazyConnect: true,
    enableReadyCheck: false,
    connectTimeout: 10_000,
    commandTimeout: 10_000,
    // No background reconnects: a dead client is replaced on the next call instead.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    // The commands of one event-loop turn (a burst of revocations, the logins of one turn) go out in
    // one write, and their replies come back in one read; each keeps its own reply, error and timeout.
    enableAutoPipelining: true,
  };
}

/** Vault's credsutil name: `V_<DISPLAY>_<ROLE>_<20 random>_<unix seconds>`, upper-cased. */
export function redisUsername(metadata: NewUserRequest['usernameConfig'], now = new Date()): string {
  const parts = [
    'v',
    metadata.displayName.slice(0, NAME_PART_MAX),
    metadata.roleName.slice(0, NAME_PART_MAX),
    Array.from({ length: 20 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join(''),
    String(Math.floor(now.getTime() / 1000)),
  ];
  return parts
    .filter((part) => part !== '')
    .join('_')
    .slice(0, USERNAME_MAX)
    .toUpperCase();
}

function jsonRules(text: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((rule) => typeof rule === 'string')) return parsed;
  } catch {
    // not a JSON array
  }
  return undefined;
}

/**
 * The ACL rules in a role's creation statements. Vault reads one JSON array; this also takes a JSON
 * array that a list field split at its commas, several arrays, or bare rules (`+@read`).
 */
export function parseAclRules(statements: readonly string[]): string[] {
  const entries = statements.map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return DEFAULT_ACL_RULES;
  const whole = jsonRules(entries.join(','));
  if (whole) return whole;
  const arrays = entries.map(jsonRules);
  if (arrays.every((rules) => rules !== undefined)) return arrays.flat();
  if (entries.some((entry) => entry.startsWith('['))) {
    throw invalid('a redis creation statement must be a JSON array of ACL rules, e.g. ["~*", "+@read"]');
  }
  return entries.flatMap((entry) => entry.split(/\s+/));
}

class RedisPlugin implements DatabasePlugin {
  readonly type = 'redis-database-plugin';
  private settings?: RedisSettings;
  private client?: Redis;
  private lastConnectionError = '';

  async initialize({ config, verifyConnection }: InitializeRequest): Promise<ConnectionSettings> {
    const settings = readRedisSettings(config);
    await this.close();
    this.settings = settings;
    if (verifyConnection) {
      try {
        await this.command('error verifying connection', [], ['PING']);
      } catch (error) {
        await this.close();
        throw new CofferError('invalid_request', (error as Error).message);
      }
    }
    return config;
  }

  async newUser(request: NewUserRequest): Promise<{ username: string }> {
    const username = redisUsername(request.usernameConfig);
    const rules = parseAclRules(request.statements);
    // Expiration is not expressible in Redis ACLs; the lease's revocation removes the user.
    const setUser = ['ACL', 'SETUSER', username, 'on', `>${request.password}`, ...rules];
    try {
      await this.command('unable to create user', [request.password], setUser);
    } catch (error) {
      // ACL SETUSER is all-or-nothing, so this only guards against a reply lost after success.
      await this.command('rollback', [], ['ACL', 'DELUSER', username]).catch(() => undefined);
      throw error;
    }
    return { username };
  }

  async updateUser(request: UpdateUserRequest): Promise<void> {
    if (!request.password) return; // a new expiration needs nothing at the database
    const { newPassword } = request.password;
    const secrets = [newPassword];
    // SETUSER would create a missing user, so look first, as Vault does.
    const getUser = ['ACL', 'GETUSER', request.username];
    const existing = await this.command('failed to change password', secrets, getUser);
    if (existing === null) throw invalid(`failed to change password: user ${request.username} not found`);
    const reset = ['ACL', 'SETUSER', request.username, 'resetpass', `>${newPassword}`];
    await this.command('failed to change password', secrets, reset);
  }

  /** ACL DELUSER answers 0 for a missing user and itself disconnects the user's clients. */
  async deleteUser(request: DeleteUserRequest): Promise<void> {
    await this.command('unable to delete user', [], ['ACL', 'DELUSER', request.username]);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  private connection(settings: RedisSettings): Redis {
    if (this.client && this.client.status !== 'end') return this.client;
    const client = new Redis(clientOptions(settings));
    // Connection errors also fail the pending command; keep the text to explain that failure.
    client.on('error', (error: Error) => {
      this.lastConnectionError = error.message;
    });
    this.lastConnectionError = '';
    this.client = client;
    return client;
  }

  private async command(context: string, secrets: string[], args: string[]): Promise<unknown> {
    const settings = this.settings;
    if (!settings) throw new CofferError('internal', 'the redis plugin is not initialized');
    const client = this.connection(settings);
    try {
      const [name, ...rest] = args;
      return await client.call(name, ...rest);
    } catch (error) {
      const cause = client.status === 'end' && this.lastConnectionError ? this.lastConnectionError : error;
      throw redactedError(context, cause, [...secrets, settings.password]);
    }
  }
}

export const redisPlugin = () => new RedisPlugin();
