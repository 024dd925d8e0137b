/**
 * `config`: the key source (exactly one), issuer binding, accepted algorithms, default role and the
 * OAuth client (stored for Vault clients; there is no `oidc/auth_url` or `oidc/callback` here).
 */
import { invalid } from '../../../core/errors.js';
import { field, type Input, isPlainObject } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { configToWire, type JwtConfig, loadConfig, saveConfig, validateConfig } from '../config.js';
import { fetchDiscovery, fetchProviderJson, type KeyResolverCache } from '../key-set.js';

const PEM_MAX = 256 * 1024;

const configFields = {
  oidc_discovery_url: field.string('OIDC issuer URL; its discovery document names the JWKS.', { max: 2048 }),
  oidc_discovery_ca_pem: field.string('CA certificates (PEM) for the discovery URL.', { max: PEM_MAX }),
  oidc_client_id: field.string('OAuth client ID at the OIDC provider; set with the secret.', {
    max: 1024,
  }),
  oidc_client_secret: field.string('OAuth client secret at the OIDC provider; stored, never read back.', {
    max: 4096,
  }),
  jwks_url: field.string('URL of a JSON Web Key Set.', { max: 2048 }),
  jwks_ca_pem: field.string('CA certificates (PEM) for the JWKS URL.', { max: PEM_MAX }),
  jwks_pairs: field.any('JWKS URL and CA pairs (Vault); counted as a key source, but not supported here.'),
  jwt_validation_pubkeys: field.stringList('PEM public keys (or certificates) that verify tokens locally.'),
  jwt_supported_algs: field.stringList(
    'Accepted signing algorithms (asymmetric only); default: all of them.',
  ),
  bound_issuer: field.string('The iss claim every token must carry.', { max: 2048 }),
  default_role: field.string('Role used when a login names none.', { max: 512 }),
};

type ConfigInput = Input<typeof configFields>;

function configFromInput(input: ConfigInput): JwtConfig {
  const pubkeys = input.jwt_validation_pubkeys ?? [];
  if (pubkeys.join('').length > PEM_MAX) throw invalid('jwt_validation_pubkeys is too large');
  return {
    oidcDiscoveryUrl: input.oidc_discovery_url ?? '',
    oidcDiscoveryCaPem: input.oidc_discovery_ca_pem ?? '',
    oidcClientId: input.oidc_client_id ?? '',
    oidcClientSecret: input.oidc_client_secret ?? '',
    jwksUrl: input.jwks_url ?? '',
    jwksCaPem: input.jwks_ca_pem ?? '',
    jwtValidationPubkeys: pubkeys,
    jwtSupportedAlgs: input.jwt_supported_algs ?? [],
    boundIssuer: input.bound_issuer ?? '',
    defaultRole: (input.default_role ?? '').toLowerCase(),
  };
}

/** How many `jwks_pairs` a write names (Vault's TypeSlice: a list, absent or null for none). */
function jwksPairCount(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (!Array.isArray(value)) throw invalid('field "jwks_pairs" must be a list');
  return value.length;
}

/** A URL as it may appear in an error: `user:password@` and the query (a `?token=`) never reach a client or a log. */
export function withoutCredentials(text: string): string {
  try {
    const url = new URL(text);
    if (url.username === '' && url.password === '' && url.search === '' && url.hash === '') return text;
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Vault checks a remote key source when it is configured, so a typo fails now rather than at login. */
async function checkRemoteSource(config: JwtConfig): Promise<void> {
  if (config.jwksUrl !== '') {
    const shown = withoutCredentials(config.jwksUrl);
    const body = await fetchProviderJson(config.jwksUrl, config.jwksCaPem, 'jwks keyset').catch(() => {
      throw invalid(`error checking jwks URL ${shown}`);
    });
    if (!isPlainObject(body) || !Array.isArray(body.keys)) throw invalid(`error checking jwks URL ${shown}`);
  }
  if (config.oidcDiscoveryUrl !== '') {
    await fetchDiscovery(config.oidcDiscoveryUrl, config.oidcDiscoveryCaPem).catch((error: Error) => {
      throw invalid(`error checking oidc discovery URL: ${error.message}`);
    });
  }
}

export function configPaths(resolvers: KeyResolverCache) {
  return [
    definePath({
      pattern: 'config',
      fields: configFields,
      operations: {
        async read(ctx) {
          const config = await loadConfig(ctx.storage);
          return config && { data: configToWire(config) };
        },
        async update(ctx: EngineContext, input) {
          // A write replaces the whole configuration, as in Vault.
          const config = configFromInput(input);
          validateConfig(config, jwksPairCount(input.jwks_pairs));
          await checkRemoteSource(config);
          await saveConfig(ctx.storage, config);
          resolvers.forget(ctx.system.mountUuid);
        },
      },
      help: 'Configures where the keys that verify JWTs come from, and the issuer they must name.',
    }),
  ];
}
