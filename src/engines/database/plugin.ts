/**
 * The contract between the database engine and one database's plugin, shaped after Vault's
 * database plugin v5 interface (Initialize / NewUser / UpdateUser / DeleteUser / Close), so the
 * engine never contains SQL or driver code and a plugin never touches storage or leases.
 */

/** Connection settings as stored under `config/:name` (connection_url, username, password, …). */
export type ConnectionSettings = Record<string, unknown>;

export interface InitializeRequest {
  /** The stored connection settings; `connection_url` may hold `{{username}}`/`{{password}}`. */
  config: ConnectionSettings;
  /** Open one connection now and fail if it cannot be made (the `verify_connection` flag). */
  verifyConnection: boolean;
}

export interface NewUserRequest {
  /** Inputs for the default username template (`v-<display>-<role>-<random>-<epoch>`). */
  usernameConfig: { displayName: string; roleName: string };
  /** Templated statements: `{{name}}`/`{{username}}`, `{{password}}`, `{{expiration}}`. */
  statements: string[];
  rollbackStatements: string[];
  password: string;
  /** When the credential must stop working at the database, if it can express it. */
  expiration: Date;
}

export interface UpdateUserRequest {
  username: string;
  /** Set when the password changes (static-role rotation, rotate-root). */
  password?: { newPassword: string; statements: string[] };
  /** Set when a lease is renewed. */
  expiration?: { newExpiration: Date; statements: string[] };
}

export interface DeleteUserRequest {
  username: string;
  /** Empty means the plugin's default revocation (drop the user and end its sessions). */
  statements: string[];
}

export interface DatabasePlugin {
  /** The `plugin_name` it answers to, e.g. `postgresql-database-plugin`. */
  readonly type: string;
  /** Validates and connects; returns the settings to store (the plugin may normalise them). */
  initialize(request: InitializeRequest): Promise<ConnectionSettings>;
  /** Creates the user; on a failure part-way it runs the rollback statements before throwing. */
  newUser(request: NewUserRequest): Promise<{ username: string }>;
  updateUser(request: UpdateUserRequest): Promise<void>;
  /** Idempotent: deleting a user that no longer exists succeeds. */
  deleteUser(request: DeleteUserRequest): Promise<void>;
  /** Closes every pooled connection. */
  close(): Promise<void>;
}

/** May load its driver on first use, so a server that mounts no database never imports one. */
export type PluginFactory = () => DatabasePlugin | Promise<DatabasePlugin>;
