/**
 * The `seal` block of the server config. `shamir` (the default) or `transit`, with Vault's
 * environment variables: VAULT_TRANSIT_SEAL_KEY_NAME, _MOUNT_PATH and _DISABLE_RENEWAL override the
 * file; VAULT_ADDR and VAULT_TOKEN (or Coffer's VAULT_TRANSIT_SEAL_TOKEN) only fill what the file
 * leaves out; the VAULT_CACERT family applies only if the file sets no TLS setting at all.
 */
import { SealToken, type TransitSealConfig } from '../barrier/transit-wrapper.js';
import { invalid } from '../core/errors.js';
import { parseGoBool } from '../http/parse-request.js';

export type Env = Record<string, string | undefined>;

/** The variables a transit seal may read its token from; the server removes them once read (K3). */
export const SEAL_TOKEN_ENV = ['VAULT_TRANSIT_SEAL_TOKEN', 'VAULT_TOKEN'] as const;

const TLS_ENV: Record<string, string> = {
  tls_ca_cert: 'VAULT_CACERT',
  tls_client_cert: 'VAULT_CLIENT_CERT',
  tls_client_key: 'VAULT_CLIENT_KEY',
  tls_server_name: 'VAULT_TLS_SERVER_NAME',
  tls_skip_verify: 'VAULT_SKIP_VERIFY',
};

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function flag(value: string, name: string): boolean {
  const parsed = parseGoBool(value);
  if (parsed === undefined) throw invalid(`seal "transit": ${name} must be a boolean`);
  return parsed;
}

/**
 * The seal from the config's `seal` blocks (label → body), or `VAULT_SEAL_TYPE`; undefined for
 * Shamir. The token is wrapped at once so no later log or error can print it.
 */
export function parseSeal(
  blocks: { label: string; body: Record<string, unknown> }[],
  env: Env,
): TransitSealConfig | undefined {
  if (blocks.length > 1) throw invalid('only one seal block is permitted: seal migration is not supported');
  const block = blocks[0] ?? (env.VAULT_SEAL_TYPE ? { label: env.VAULT_SEAL_TYPE, body: {} } : undefined);
  if (!block || block.label === 'shamir') return undefined;
  if (block.label !== 'transit') throw invalid(`unknown seal type: ${block.label} (shamir or transit)`);
  const body = block.body;
  if (body.disabled !== undefined && flag(text(body.disabled), 'disabled'))
    throw invalid('seal "transit": disabled = true (seal migration) is not supported');
  if (text(env.VAULT_NAMESPACE ?? body.namespace))
    throw invalid('seal "transit": namespace is not supported (Coffer has no namespaces)');
  // Env first for these, as Vault.
  const setting = (name: string, envName: string) => text(env[envName]) || text(body[name]);
  // File first for these (Vault's TransitPrioritizeConfigValues).
  const address = text(body.address) || text(env.VAULT_ADDR);
  const token = text(body.token) || text(env.VAULT_TRANSIT_SEAL_TOKEN) || text(env.VAULT_TOKEN);
  const keyName = setting('key_name', 'VAULT_TRANSIT_SEAL_KEY_NAME');
  const mountPath = setting('mount_path', 'VAULT_TRANSIT_SEAL_MOUNT_PATH');
  const disableRenewal = setting('disable_renewal', 'VAULT_TRANSIT_SEAL_DISABLE_RENEWAL');
  if (!address) throw invalid('seal "transit": address is required (or VAULT_ADDR)');
  if (!/^https?:\/\//.test(address)) throw invalid('seal "transit": address must be an http(s) URL');
  if (!token) throw invalid('seal "transit": missing token (token, or VAULT_TRANSIT_SEAL_TOKEN)');
  if (!keyName) throw invalid('seal "transit": key_name is required');
  if (!mountPath) throw invalid('seal "transit": mount_path is required');
  const fileTls = Object.keys(TLS_ENV).some((name) => text(body[name]) !== '');
  const tls = (name: string) => (fileTls ? text(body[name]) : text(env[TLS_ENV[name]]));
  return {
    address,
    token: new SealToken(token),
    keyName,
    mountPath,
    disableRenewal: disableRenewal ? flag(disableRenewal, 'disable_renewal') : false,
    tls: {
      caCert: tls('tls_ca_cert') || undefined,
      clientCert: tls('tls_client_cert') || undefined,
      clientKey: tls('tls_client_key') || undefined,
      tlsServerName: tls('tls_server_name') || undefined,
      tlsSkipVerify: tls('tls_skip_verify') ? flag(tls('tls_skip_verify'), 'tls_skip_verify') : false,
    },
  };
}
