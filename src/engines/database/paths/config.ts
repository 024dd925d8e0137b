/** `config/:name`, `config/`, `reset/:name`: the connections roles issue credentials on. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalRequest } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { databaseError } from '../connections.js';
import type { DatabaseMounts } from '../mount-state.js';
import type { ConnectionSettings } from '../plugin.js';
import { type ConnectionConfig, keys, loadConnection } from '../store.js';

/** Settings the built-in plugins share; anything else in the body is passed to the plugin as is. */
const detailFields = {
  connection_url: field.string('Connection string; may hold {{username}} and {{password}}.', {
    max: 8192,
  }),
  username: field.string('Root user the plugin connects as.', { max: 512 }),
  password: field.string('Root password (never returned).', { max: 1024 }),
  max_open_connections: field.int('Most connections the pool opens (default 4).', { min: 0, max: 10_000 }),
  max_idle_connections: field.int('Most idle connections kept (default: max_open_connections).', {
    min: 0,
    max: 10_000,
  }),
  max_connection_lifetime: field.duration('How long a pooled connection may live; 0 means forever.'),
  username_template: field.string('Template for generated usernames.', { max: 4096 }),
};

const configFields = {
  name: field.name('Name of the connection.'),
  plugin_name: field.string('Database plugin, e.g. postgresql-database-plugin.', { max: 256 }),
  plugin_version: field.string('Plugin version; only the built-in version exists.', { max: 64 }),
  verify_connection: field.bool('Connect once before saving (default true).', { default: true }),
  allowed_roles: field.stringList('Roles (globs) that may use this connection; "*" for all.'),
  root_rotation_statements: field.stringList('Statements that rotate the root password.'),
  password_policy: field.string('Password policy for generated passwords.', { max: 256 }),
  ...detailFields,
};

const ENGINE_KEYS = new Set(Object.keys(configFields));
const MAX_EXTRA_VALUE = 65_536;

/** Plugin-specific settings the engine does not declare (e.g. Redis `host`, MySQL `tls_ca`). */
function extraDetails(data: Record<string, unknown>): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const [key, value] of Object.entries(data)) {
    if (ENGINE_KEYS.has(key) || value === null || value === undefined) continue;
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    if (!scalar && !(Array.isArray(value) && value.every((v) => typeof v === 'string')))
      throw invalid(`field "${key}" must be a string, number, boolean or list of strings`);
    if (JSON.stringify(value).length > MAX_EXTRA_VALUE) throw invalid(`field "${key}" is too long`);
    out[key] = value;
  }
  return out;
}

function declaredDetails(input: Input<typeof configFields>): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const key of Object.keys(detailFields) as (keyof typeof detailFields)[]) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  return out;
}

// The userinfo ends at the LAST `@` of the authority (as Go's url.Parse and WHATWG URL read it), so a
// password holding a raw `@` is masked whole.
const LITERAL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:?#]*:([^/?#]*)@/i;

/** MySQL's Go DSN form, `user:pass@tcp(host:3306)/db`: the password runs to the last `@` before the address. */
const DSN_PASSWORD = /^([^:@/]*):(.+)@((?:tcp|unix)\(|\/)/;

/**
 * Go's url.Redacted: a literal password in the URL shows as `xxxxx`; a template stays visible.
 * The DSN form gets the same treatment (Vault shows it in full; a config read should not leak it).
 */
function redactUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const found = LITERAL_PASSWORD.exec(url);
  if (found) {
    if (found[1] === '' || found[1] === '{{password}}') return url;
    return url.replace(LITERAL_PASSWORD, (whole, password: string) =>
      whole.replace(`:${password}@`, ':xxxxx@'),
    );
  }
  const dsn = DSN_PASSWORD.exec(url);
  if (!dsn || dsn[2] === '{{password}}' || url.includes('://')) return url;
  return url.replace(
    DSN_PASSWORD,
    (_whole, user: string, _password: string, rest: string) => `${user}:xxxxx@${rest}`,
  );
}

export const hasLiteralUrlPassword = (url: unknown) => redactUrl(url) !== url;

/** Never answered on read: Vault drops `password`, `private_key` and `service_account_json`; MySQL's client key too. */
const SECRET_DETAILS = ['password', 'private_key', 'service_account_json', 'tls_certificate_key'];

export function connectionToWire(config: ConnectionConfig): Record<string, unknown> {
  const details = Object.fromEntries(
    Object.entries(config.connectionDetails).filter(([key]) => !SECRET_DETAILS.includes(key)),
  );
  return {
    plugin_name: config.pluginName,
    plugin_version: '',
    connection_details: { ...details, connection_url: redactUrl(details.connection_url) },
    allowed_roles: config.allowedRoles,
    root_credentials_rotate_statements: config.rootRotationStatements,
    password_policy: config.passwordPolicy,
    verify_connection: config.verifyConnection,
  };
}

function checkUnsupported(input: Input<typeof configFields>): void {
  if (input.plugin_version)
    throw invalid('plugin_version is not supported: Coffer only has its built-in database plugins');
  if (input.password_policy)
    throw invalid('password_policy is not supported yet: omit it to use the default password generator');
}

async function writeConnection(
  mounts: DatabaseMounts,
  ctx: EngineContext,
  input: Input<typeof configFields>,
  req: LogicalRequest,
) {
  checkUnsupported(input);
  const name = input.name!;
  const existing = await loadConnection(ctx.storage, name);
  const pluginName = input.plugin_name ?? existing?.pluginName;
  if (!pluginName) throw invalid('empty plugin name');
  const details = { ...existing?.connectionDetails, ...declaredDetails(input), ...extraDetails(req.data) };
  const verifyConnection = input.verify_connection ?? true;
  const { connections } = mounts.of(ctx);
  const started = await connections.start(pluginName, details, verifyConnection).catch((error: unknown) => {
    throw invalid(databaseError('error creating database object', error).message);
  });
  const config: ConnectionConfig = {
    pluginName,
    connectionDetails: started.settings,
    allowedRoles: input.allowed_roles ?? existing?.allowedRoles ?? [],
    rootRotationStatements: input.root_rotation_statements ?? existing?.rootRotationStatements ?? [],
    passwordPolicy: '',
    verifyConnection,
  };
  try {
    await ctx.storage.putJson(keys.connection(name), config);
  } catch (error) {
    await started.plugin.close();
    throw error;
  }
  await connections.replace(name, { plugin: started.plugin, config });
  if (hasLiteralUrlPassword(started.settings.connection_url))
    return {
      warnings: [
        'Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.',
      ],
    };
}

export function configPaths(mounts: DatabaseMounts) {
  return [
    definePath({
      pattern: 'config/',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('config/') } }) },
      help: 'List the configured connections.',
    }),
    definePath({
      pattern: 'config/:name',
      fields: configFields,
      freeformData: true,
      exists: (ctx, input) => ctx.storage.has(keys.connection(input.name!)),
      operations: {
        read: async (ctx, input) => {
          const config = await loadConnection(ctx.storage, input.name!);
          return config && { data: connectionToWire(config) };
        },
        create: (ctx, input, req) => writeConnection(mounts, ctx, input, req),
        update: (ctx, input, req) => writeConnection(mounts, ctx, input, req),
        delete: async (ctx, input) => {
          await ctx.storage.delete(keys.connection(input.name!));
          await mounts.of(ctx).connections.close(input.name!);
        },
      },
      help: 'Configure a connection to a database: plugin, connection settings, allowed roles.',
    }),
    definePath({
      pattern: 'reset/:name',
      fields: { name: field.name('Name of the connection.') },
      operations: {
        update: async (ctx, input) => {
          const { connections } = mounts.of(ctx);
          await connections.close(input.name!);
          await connections.get(input.name!);
        },
      },
      help: 'Close the connection pool and open it again from the stored configuration.',
    }),
  ];
}
