/** The `auto_auth` block: one login method, its backoff, and the file sinks the token goes to. */
import { invalid } from '../core/errors.js';
import {
  type Body,
  nestedObject,
  optionalBool,
  optionalDurationMs,
  optionalFileMode,
  optionalString,
  refuseUnknown,
  requiredString,
  singleBody,
  typedBlocks,
} from './config-fields.js';

export interface AppRoleSettings {
  type: 'approle';
  roleIdFilePath: string;
  /** Absent when the role does not bind a secret ID (`bind_secret_id = false`). */
  secretIdFilePath?: string;
  removeSecretIdFileAfterReading: boolean;
  /** When set, the secret-ID file holds a wrapping token created at this path. */
  secretIdResponseWrappingPath?: string;
}

export interface TokenFileSettings {
  type: 'token_file';
  tokenFilePath: string;
}

export interface JwtSettings {
  type: 'jwt';
  path: string;
  role: string;
  removeJwtAfterReading: boolean;
  removeJwtFollowsSymlinks: boolean;
}

export interface KubernetesSettings {
  type: 'kubernetes';
  role: string;
  tokenPath: string;
}

export type MethodSettings = AppRoleSettings | TokenFileSettings | JwtSettings | KubernetesSettings;

export interface MethodConfig {
  settings: MethodSettings;
  /** Without `auth/`'s trailing slash: `auth/approle`. */
  mountPath: string;
  minBackoffMs: number;
  maxBackoffMs: number;
  exitOnErr: boolean;
}

export interface FileSinkConfig {
  path: string;
  /** undefined: the default (0600); 0: leave the mode alone, as Vault's `mode = 0000`. */
  mode?: number;
  /** Wrap the token with this TTL (e.g. "5m") before writing it. */
  wrapTtl?: string;
}

export interface AutoAuthConfig {
  method: MethodConfig;
  sinks: FileSinkConfig[];
}

/** Vault's defaults (agentproxyshared/auth): 1 s up to 5 m. */
const DEFAULT_MIN_BACKOFF_MS = 1000;
const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;
const DEFAULT_KUBERNETES_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const METHOD_FIELDS = ['mount_path', 'config', 'min_backoff', 'max_backoff', 'exit_on_err'];

const METHOD_PARSERS: Record<string, (config: Body, where: string) => MethodSettings> = {
  approle: parseAppRole,
  token_file: (config, where) => {
    refuseUnknown(config, ['token_file_path'], where);
    return { type: 'token_file', tokenFilePath: requiredString(config, 'token_file_path', where) };
  },
  jwt: (config, where) => {
    refuseUnknown(config, ['path', 'role', 'remove_jwt_after_reading', 'remove_jwt_follows_symlinks'], where);
    return {
      type: 'jwt',
      path: requiredString(config, 'path', where),
      role: requiredString(config, 'role', where),
      removeJwtAfterReading: optionalBool(config, 'remove_jwt_after_reading', where, true),
      removeJwtFollowsSymlinks: optionalBool(config, 'remove_jwt_follows_symlinks', where, false),
    };
  },
  kubernetes: (config, where) => {
    refuseUnknown(config, ['role', 'token_path'], where);
    return {
      type: 'kubernetes',
      role: requiredString(config, 'role', where),
      tokenPath: optionalString(config, 'token_path', where) || DEFAULT_KUBERNETES_TOKEN_PATH,
    };
  },
};

function parseAppRole(config: Body, where: string): AppRoleSettings {
  refuseUnknown(
    config,
    [
      'role_id_file_path',
      'secret_id_file_path',
      'remove_secret_id_file_after_reading',
      'secret_id_response_wrapping_path',
    ],
    where,
  );
  const wrappingPath = optionalString(config, 'secret_id_response_wrapping_path', where);
  if (wrappingPath === '') throw invalid(`${where}: "secret_id_response_wrapping_path" is empty`);
  return {
    type: 'approle',
    roleIdFilePath: requiredString(config, 'role_id_file_path', where),
    secretIdFilePath: optionalString(config, 'secret_id_file_path', where) || undefined,
    removeSecretIdFileAfterReading: optionalBool(config, 'remove_secret_id_file_after_reading', where, true),
    secretIdResponseWrappingPath: wrappingPath?.replace(/^\/+|\/+$/g, ''),
  };
}

function parseMethod(value: unknown): MethodConfig {
  const methods = typedBlocks(value, 'auto_auth method');
  if (methods.length !== 1) throw invalid('auto_auth: exactly one method block is required');
  const { label, body } = methods[0];
  const where = `auto_auth method "${label}"`;
  const parse = METHOD_PARSERS[label];
  if (!parse)
    throw invalid(
      `${where}: unknown auth method type (supported: ${Object.keys(METHOD_PARSERS).join(', ')})`,
    );
  if (body.namespace !== undefined)
    throw invalid(`${where}: "namespace" is not supported: Coffer has no namespaces`);
  if (body.wrap_ttl !== undefined)
    throw invalid(`${where}: "wrap_ttl" is not supported; set wrap_ttl on the sink instead`);
  refuseUnknown(body, METHOD_FIELDS, where);
  const settings = parse(nestedObject(body.config, `${where} config`), `${where} config`);
  const defaultMount = label === 'token_file' ? 'auth/token' : `auth/${label}`;
  const mountPath = (optionalString(body, 'mount_path', where) || defaultMount).replace(/^\/+|\/+$/g, '');
  const minBackoffMs = optionalDurationMs(body, 'min_backoff', where, DEFAULT_MIN_BACKOFF_MS);
  const maxBackoffMs = optionalDurationMs(body, 'max_backoff', where, DEFAULT_MAX_BACKOFF_MS);
  if (minBackoffMs > maxBackoffMs)
    throw invalid(`${where}: "min_backoff" cannot be greater than "max_backoff"`);
  return {
    settings,
    mountPath,
    minBackoffMs,
    maxBackoffMs,
    exitOnErr: optionalBool(body, 'exit_on_err', where, false),
  };
}

/**
 * A sink's `mode`, as Vault's file sink takes it: a number is the mode (HCL's `0640` is octal, read
 * before parsing by octalModeLiterals; `416` is the same mode, `640` is decimal), and only its permission
 * bits are applied (Vault's os.FileMode gets no setuid, setgid or sticky bit from them). A string such
 * as "0640" is octal: Coffer's own addition, which Vault refuses ("could not parse 'mode' as integer").
 */
function sinkMode(config: Body, where: string): number | undefined {
  const mode = optionalFileMode(config, 'mode', where, 'value');
  return mode === undefined ? undefined : mode & 0o777;
}

function parseSink(label: string, body: Body): FileSinkConfig {
  const where = `auto_auth sink "${label}"`;
  if (label !== 'file') throw invalid(`${where}: unknown sink type (supported: file)`);
  for (const unsupported of ['dh_type', 'dh_path', 'aad', 'aad_env_var', 'derive_key'])
    if (body[unsupported] !== undefined) throw invalid(`${where}: "${unsupported}" is not supported`);
  refuseUnknown(body, ['config', 'wrap_ttl'], where);
  const config = nestedObject(body.config, `${where} config`);
  refuseUnknown(config, ['path', 'mode'], `${where} config`);
  const wrapTtl = body.wrap_ttl === undefined ? undefined : String(body.wrap_ttl);
  if (wrapTtl !== undefined && optionalDurationMs(body, 'wrap_ttl', where, 0) <= 0)
    throw invalid(`${where}: "wrap_ttl" must be a positive duration such as "5m"`);
  return {
    path: requiredString(config, 'path', `${where} config`),
    mode: sinkMode(config, `${where} config`),
    wrapTtl,
  };
}

export function parseAutoAuth(value: unknown): AutoAuthConfig | undefined {
  const body = singleBody(value, 'auto_auth');
  if (!body) return undefined;
  refuseUnknown(body, ['method', 'sink'], 'auto_auth');
  return {
    method: parseMethod(body.method),
    sinks: typedBlocks(body.sink, 'auto_auth sink').map((sink) => parseSink(sink.label, sink.body)),
  };
}
