/** The mount's key source and issuer settings: stored model, validation and the wire form. */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import type { DeepReadonly } from '../../framework/deep-freeze.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { StorageView } from '../../framework/storage-view.js';
import { parseHttpUrl } from './http-json.js';

export interface JwtConfig {
  oidcDiscoveryUrl: string;
  oidcDiscoveryCaPem: string;
  /** OAuth client of the OIDC browser flow: stored and validated as Vault does; Coffer has no such flow yet. */
  oidcClientId: string;
  /** Never answered on read (Vault returns only the client ID). Older stored configs lack both fields. */
  oidcClientSecret: string;
  jwksUrl: string;
  jwksCaPem: string;
  jwtValidationPubkeys: string[];
  jwtSupportedAlgs: string[];
  boundIssuer: string;
  defaultRole: string;
}

export type KeySourceKind = 'pubkeys' | 'jwks' | 'discovery';

/** Only asymmetric algorithms: an HMAC alg would let a public key act as a shared secret. */
export const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const CONFIG_KEY = 'config';

export async function loadConfig(storage: StorageView): Promise<JwtConfig | undefined> {
  const stored = await storage.getJson<JwtConfig>(CONFIG_KEY);
  return (
    stored && {
      ...stored,
      oidcClientId: stored.oidcClientId ?? '',
      oidcClientSecret: stored.oidcClientSecret ?? '',
    }
  );
}

/** What a login reads of the config (older stored configs lack the OAuth client's two fields). */
export type KeyConfig = DeepReadonly<Omit<JwtConfig, 'oidcClientId' | 'oidcClientSecret'>>;

/** The barrier's shared, frozen copy: a login only reads it. */
export function readKeyConfig(storage: StorageView): MaybePromise<KeyConfig | undefined> {
  return storage.readJson<JwtConfig>(CONFIG_KEY);
}

export function saveConfig(storage: StorageView, config: JwtConfig): Promise<void> {
  return storage.putJson(CONFIG_KEY, config);
}

export function keySourceOf(config: Pick<KeyConfig, 'jwtValidationPubkeys' | 'jwksUrl'>): KeySourceKind {
  if (config.jwtValidationPubkeys.length > 0) return 'pubkeys';
  if (config.jwksUrl !== '') return 'jwks';
  return 'discovery';
}

/**
 * The algorithms a token may use. With none configured, Vault's login accepts every asymmetric
 * algorithm (never HS* or none), so an ES256 or EdDSA key works without setting jwt_supported_algs.
 */
export function supportedAlgs(config: Pick<KeyConfig, 'jwtSupportedAlgs'>): readonly string[] {
  return config.jwtSupportedAlgs.length > 0 ? config.jwtSupportedAlgs : ASYMMETRIC_ALGS;
}

/**
 * Vault's checks that involve the OAuth client and JWKS pairs, in Vault's order; each answers with
 * Vault's text. `jwks_pairs` counts as a key source, as in Vault, but Coffer cannot verify with one.
 */
function checkClientAndPairs(config: JwtConfig, jwksPairs: number): void {
  const sources = [
    config.oidcDiscoveryUrl !== '',
    config.jwtValidationPubkeys.length > 0,
    config.jwksUrl !== '',
    jwksPairs > 0,
  ];
  if (sources.filter(Boolean).length !== 1) {
    throw invalid(
      "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set",
    );
  }
  if ((config.oidcClientId === '') !== (config.oidcClientSecret === ''))
    throw invalid("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC");
  if (config.oidcDiscoveryUrl !== '') return;
  if (config.oidcClientId !== '') throw invalid("'oidc_discovery_url' must be set for OIDC");
  if (jwksPairs === 0) return;
  if (config.jwksCaPem !== '')
    throw invalid("CA PEMs must be provided as part of the 'jwks_pairs' when using multiple JWKS URLs");
  if (config.boundIssuer !== '') throw invalid("Bound issuer is not supported for use with 'jwks_pairs'");
  // A Coffer limit, not a Vault rule: login verifies against one key source.
  throw invalid("'jwks_pairs' is not supported; set 'jwks_url' (and 'jwks_ca_pem') instead");
}

/**
 * Checks everything that needs no network: one key source, the client ID and secret together (and
 * only with discovery), parsable keys and CAs, known algs. `jwksPairs` is how many pairs were sent.
 */
export function validateConfig(config: JwtConfig, jwksPairs: number): void {
  checkClientAndPairs(config, jwksPairs);
  if (config.jwksCaPem !== '' && config.jwksUrl === '') throw invalid("'jwks_ca_pem' requires 'jwks_url'");
  if (config.oidcDiscoveryCaPem !== '' && config.oidcDiscoveryUrl === '')
    throw invalid("'oidc_discovery_ca_pem' requires 'oidc_discovery_url'");
  if (config.jwksUrl !== '' && !parseHttpUrl(config.jwksUrl))
    throw invalid("'jwks_url' must be an http(s) URL");
  if (config.oidcDiscoveryUrl !== '' && !parseHttpUrl(config.oidcDiscoveryUrl))
    throw invalid("'oidc_discovery_url' must be an http(s) URL");
  checkCaPem(config.jwksCaPem, 'jwks_ca_pem');
  checkCaPem(config.oidcDiscoveryCaPem, 'oidc_discovery_ca_pem');
  for (const pem of config.jwtValidationPubkeys) parsePublicKeyPem(pem);
  for (const alg of config.jwtSupportedAlgs) {
    if (!(ASYMMETRIC_ALGS as readonly string[]).includes(alg)) {
      throw invalid(`invalid jwt_supported_algs: unsupported signing algorithm "${alg}"`);
    }
  }
}

/** A PEM public key or certificate (Vault's ParsePublicKeyPEM); refuses private and secret keys. */
export function parsePublicKeyPem(pem: string) {
  try {
    const key = createPublicKey(pem);
    if (key.type !== 'public') throw new Error('not a public key');
    return key;
  } catch {
    throw invalid('error parsing public key: expected a PEM public key or certificate');
  }
}

/** A setting holding PEM CA certificates: empty, or every block parses. */
export function checkCaPem(pem: string, name: string): void {
  if (pem === '') return;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no certificate');
    for (const block of blocks) new X509Certificate(block);
  } catch {
    throw invalid(`could not parse '${name}': expected PEM certificates`);
  }
}

/** Vault answers every setting, including the CA bundles, but never the client secret. */
export function configToWire(config: JwtConfig): Record<string, unknown> {
  return {
    oidc_discovery_url: config.oidcDiscoveryUrl,
    oidc_discovery_ca_pem: config.oidcDiscoveryCaPem,
    oidc_client_id: config.oidcClientId,
    jwks_url: config.jwksUrl,
    jwks_ca_pem: config.jwksCaPem,
    jwt_validation_pubkeys: config.jwtValidationPubkeys,
    jwt_supported_algs: config.jwtSupportedAlgs,
    bound_issuer: config.boundIssuer,
    default_role: config.defaultRole,
  };
}
