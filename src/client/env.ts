/** Client settings from the environment, as Vault's `api.Config.ReadEnvironment` reads them. */
import { VaultClient, type VaultClientOptions } from './client.js';
import { parseDurationSecond, toSeconds } from './duration.js';
import { type Env, readTokenFile, tokenFilePath } from './token-helper.js';

/** Vault's default: HTTPS on the loopback address, even though a dev server listens in plain HTTP. */
export const DEFAULT_ADDRESS = 'https://127.0.0.1:8200';

/** `COFFER_<NAME>` wins over `VAULT_<NAME>` (OpenBao reads `BAO_*` first in the same way); empty means unset. */
export function envValue(env: Env, name: string): string | undefined {
  return env[`COFFER_${name}`] || env[`VAULT_${name}`] || undefined;
}

/** Go's `strconv.ParseBool`. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

export interface EnvSettings extends VaultClientOptions {
  /** `VAULT_FORMAT`: output format for the CLI (`table` when unset). */
  format?: string;
}

/** Reads the variables; throws on a malformed value, naming the variable, never echoing a secret. */
export function configFromEnv(env: Env = process.env): EnvSettings {
  const settings: EnvSettings = {
    address: envValue(env, 'AGENT_ADDR') ?? envValue(env, 'ADDR') ?? DEFAULT_ADDRESS,
    token: envValue(env, 'TOKEN'),
    caCert: envValue(env, 'CACERT'),
    caPath: envValue(env, 'CAPATH'),
    clientCert: envValue(env, 'CLIENT_CERT'),
    clientKey: envValue(env, 'CLIENT_KEY'),
    tlsServerName: envValue(env, 'TLS_SERVER_NAME'),
    namespace: envValue(env, 'NAMESPACE'),
    wrapTtl: envValue(env, 'WRAP_TTL'),
    format: envValue(env, 'FORMAT'),
  };
  const skip = envValue(env, 'SKIP_VERIFY');
  if (skip !== undefined) {
    const parsed = parseGoBool(skip);
    if (parsed === undefined) throw new Error('could not parse VAULT_SKIP_VERIFY');
    settings.tlsSkipVerify = parsed;
  }
  const timeout = envValue(env, 'CLIENT_TIMEOUT');
  if (timeout !== undefined) {
    try {
      settings.timeoutMs = toSeconds(parseDurationSecond(timeout)) * 1000;
    } catch {
      throw new Error('could not parse VAULT_CLIENT_TIMEOUT');
    }
  }
  const retries = envValue(env, 'MAX_RETRIES');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) throw new Error('could not parse VAULT_MAX_RETRIES');
    settings.maxRetries = Number(retries);
  }
  return settings;
}

/**
 * A client configured from the environment. The token comes from `VAULT_TOKEN`/`COFFER_TOKEN`, else from
 * the token helper file (`~/.vault-token`), as the vault CLI does.
 */
export function fromEnv(env: Env = process.env): VaultClient {
  const { format: _format, ...options } = configFromEnv(env);
  options.token ??= readTokenFile(tokenFilePath(env));
  return new VaultClient(options);
}
