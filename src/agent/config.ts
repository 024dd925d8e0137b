/**
 * `coffer agent` configuration in Vault Agent's HCL: the server connection, auto-auth, the API proxy
 * listeners. Template and exec blocks are kept raw for the modules that render and supervise them.
 */
import { readFile } from 'node:fs/promises';
import { parseHcl } from '../config/hcl.js';
import { invalid } from '../core/errors.js';
import { isPlainObject } from '../framework/fields.js';
import type { LogLevel } from '../framework/log.js';
import { parseLogLevel } from '../server/config.js';
import { type AutoAuthConfig, parseAutoAuth } from './auth-config.js';
import {
  type Body,
  type ConfigSyntax,
  optionalBool,
  optionalString,
  refuseUnknown,
  singleBody,
} from './config-fields.js';
import { type ExecStanzas, parseExecStanzas } from './exec/config.js';
import { octalModeLiterals } from './hcl-modes.js';
import { type AgentListenerConfig, parseListeners } from './listener-config.js';
import { parseTemplateStanzas, type TemplateStanzas } from './template/config.js';
import { compileStanza } from './template/runner.js';

export interface VaultConnection {
  /** The server's address; VAULT_ADDR when the block leaves it out. */
  address?: string;
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  tlsSkipVerify: boolean;
  /** Retries of the proxy's and templates' requests (Vault: 12 by default, 0 means 12, -1 none). */
  numRetries: number;
}

export type UseAutoAuthToken = boolean | 'force';

/** The blocks this module does not interpret, kept as the HCL parser gave them. */
export interface RawTemplateStanzas {
  template?: unknown;
  template_config?: unknown;
  env_template?: unknown;
  exec?: unknown;
}

export interface AgentConfig {
  vault: VaultConnection;
  autoAuth?: AutoAuthConfig;
  listeners: AgentListenerConfig[];
  useAutoAuthToken: UseAutoAuthToken;
  pidFile?: string;
  exitAfterAuth: boolean;
  logLevel: LogLevel;
  rawTemplateStanzas: RawTemplateStanzas;
  /** The `template` blocks and `template_config`, parsed (no templates: an empty list). */
  templates: TemplateStanzas;
  /** Exec (process-supervisor) mode: the `exec` block with its `env_template` blocks. */
  exec?: ExecStanzas;
}

const DEFAULT_NUM_RETRIES = 12;

/** Vault keys the agent accepts and does not act on: Coffer has no mlock, and logs to stderr. */
const IGNORED_KEYS = ['disable_mlock', 'log_format', 'log_file', 'telemetry', 'disable_idle_connections'];
const TEMPLATE_KEYS = ['template', 'template_config', 'env_template', 'exec'] as const;
const KNOWN_KEYS = [
  ...IGNORED_KEYS,
  ...TEMPLATE_KEYS,
  'vault',
  'auto_auth',
  'listener',
  'api_proxy',
  'cache',
  'pid_file',
  'exit_after_auth',
  'log_level',
];

function parseVault(value: unknown): VaultConnection {
  const where = 'vault';
  const body = singleBody(value, where) ?? {};
  refuseUnknown(
    body,
    [
      'address',
      'ca_cert',
      'ca_path',
      'client_cert',
      'client_key',
      'tls_server_name',
      'tls_skip_verify',
      'retry',
    ],
    where,
  );
  const retry = singleBody(body.retry, 'vault retry') ?? {};
  refuseUnknown(retry, ['num_retries'], 'vault retry');
  let numRetries = DEFAULT_NUM_RETRIES;
  if (retry.num_retries !== undefined) {
    const n = Number(retry.num_retries);
    if (!Number.isInteger(n) || n < -1 || n > 100)
      throw invalid('vault retry: "num_retries" must be a whole number from -1 to 100');
    numRetries = n === 0 ? DEFAULT_NUM_RETRIES : n === -1 ? 0 : n;
  }
  return {
    address: optionalString(body, 'address', where) || undefined,
    caCert: optionalString(body, 'ca_cert', where) || undefined,
    caPath: optionalString(body, 'ca_path', where) || undefined,
    clientCert: optionalString(body, 'client_cert', where) || undefined,
    clientKey: optionalString(body, 'client_key', where) || undefined,
    tlsServerName: optionalString(body, 'tls_server_name', where) || undefined,
    tlsSkipVerify: optionalBool(body, 'tls_skip_verify', where, false),
    numRetries,
  };
}

/** `api_proxy { use_auto_auth_token }`, or the older `cache { use_auto_auth_token }`. */
function parseUseAutoAuthToken(raw: Body): UseAutoAuthToken {
  const apiProxy = singleBody(raw.api_proxy, 'api_proxy');
  const cache = singleBody(raw.cache, 'cache');
  if (apiProxy && cache?.use_auto_auth_token !== undefined)
    throw invalid('use_auto_auth_token is set in both api_proxy and cache; keep the api_proxy one');
  const body = apiProxy ?? cache ?? {};
  const where = apiProxy ? 'api_proxy' : 'cache';
  if (apiProxy)
    refuseUnknown(apiProxy, ['use_auto_auth_token', 'enforce_consistency', 'when_inconsistent'], where);
  const value = body.use_auto_auth_token;
  if (typeof value === 'string' && value.toLowerCase() === 'force') return 'force';
  return optionalBool(body, 'use_auto_auth_token', where, false);
}

function agentConfigFromObject(raw: Body, syntax: ConfigSyntax = 'hcl'): AgentConfig {
  refuseUnknown(raw, KNOWN_KEYS, 'agent configuration');
  const autoAuth = parseAutoAuth(raw.auto_auth);
  const useAutoAuthToken = parseUseAutoAuthToken(raw);
  if (useAutoAuthToken !== false && !autoAuth)
    throw invalid('use_auto_auth_token requires an auto_auth block');
  const exitAfterAuth = optionalBool(raw, 'exit_after_auth', 'agent configuration', false);
  if (exitAfterAuth && !autoAuth) throw invalid('exit_after_auth requires an auto_auth block');
  const rawTemplateStanzas: RawTemplateStanzas = {};
  for (const key of TEMPLATE_KEYS) if (raw[key] !== undefined) rawTemplateStanzas[key] = raw[key];
  // Vault's rules for exec mode (validateEnvTemplateConfig); the messages name blocks, never values.
  if (raw.env_template !== undefined && raw.exec === undefined)
    throw invalid('env_template blocks require a top-level exec block');
  const exec = parseExecStanzas(raw);
  if (exec && raw.api_proxy !== undefined) throw invalid('api_proxy cannot be combined with exec mode');
  const templates = parseTemplateStanzas(raw, syntax);
  return {
    vault: parseVault(raw.vault),
    autoAuth,
    listeners: parseListeners(raw.listener),
    useAutoAuthToken,
    pidFile: optionalString(raw, 'pid_file', 'agent configuration') || undefined,
    exitAfterAuth,
    logLevel: parseLogLevel(raw.log_level ?? 'info'),
    rawTemplateStanzas,
    templates,
    exec,
  };
}

/**
 * The checks Vault's agent makes on a whole config (ValidateConfig), after the command line has had its
 * say (`-exit-after-auth`). Coffer also refuses templates and exec without auto_auth: they would have no token.
 */
export function validateAgentConfig(config: AgentConfig): void {
  const rendering = config.templates.templates.length > 0 || config.exec !== undefined;
  if (config.exitAfterAuth && !config.autoAuth) throw invalid('exit_after_auth requires an auto_auth block');
  if (rendering && !config.autoAuth)
    throw invalid('template and exec blocks require an auto_auth block to get their token');
  if (
    config.autoAuth &&
    config.autoAuth.sinks.length === 0 &&
    config.useAutoAuthToken === false &&
    !rendering
  )
    throw invalid(
      'auto_auth requires at least one sink, template or exec block, or api_proxy use_auto_auth_token = true',
    );
  if (!config.autoAuth && config.listeners.length === 0)
    throw invalid('no auto_auth, listener, template or exec block found in the configuration');
}

/** Compiles every template and env_template once, so a broken one is a configuration error at start. */
async function checkTemplates(config: AgentConfig): Promise<void> {
  for (const stanza of [...config.templates.templates, ...(config.exec?.envTemplates ?? [])])
    await compileStanza(stanza);
}

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  const config = await readAgentConfig(file);
  await checkTemplates(config);
  return config;
}

/** An HCL agent config; `mode = 0640` is octal as in Vault's HCL 1, which HCL 2 alone would read as 640. */
export async function parseAgentHcl(text: string): Promise<AgentConfig> {
  return agentConfigFromObject(await parseHcl(octalModeLiterals(text), 'agent.hcl'), 'hcl');
}

async function readAgentConfig(file: string): Promise<AgentConfig> {
  const text = await readFile(file, 'utf8');
  if (!file.endsWith('.json')) return parseAgentHcl(text);
  // The HCL parser reads only HCL's native syntax; Vault also takes the same blocks as JSON.
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid('the configuration is not valid JSON');
  }
  if (!isPlainObject(raw)) throw invalid('the configuration must be a JSON object');
  return agentConfigFromObject(raw, 'json');
}
