/**
 * Where verification keys come from: PEM keys from config, a JWKS URL, or an OIDC discovery
 * document's `jwks_uri`. Remote key sets are cached per mount and refetched at once when a token names
 * an unknown `kid` (as Vault's remote key set does), but one fetch at a time and at most one per
 * MIN_REFETCH_GAP_MS, so a flood of bogus kids cannot hammer the provider.
 * Keys only ever come from the mount's config, never from the login request.
 */
import { KeyObject } from 'node:crypto';
import type { JWK, JWSHeaderParameters } from 'jose';
import { invalid } from '../../core/errors.js';
import type { Clock } from '../../framework/clock.js';
import { isPlainObject } from '../../framework/fields.js';
import { loadJose } from '../../framework/jose.js';
import { type KeyConfig, keySourceOf, parsePublicKeyPem } from './config.js';
import { HttpJsonError, requestJson } from './http-json.js';

export type VerifyKey = KeyObject;

export interface KeyResolver {
  /** Keys that may have signed a token with this header; throws a 400 when none can. */
  candidates(header: JWSHeaderParameters): Promise<VerifyKey[]>;
  /** The issuer an OIDC provider vouches for, which its tokens must carry; undefined otherwise. */
  issuer(): Promise<string | undefined>;
}

const FETCH_TIMEOUT_MS = 10_000;
/** A removed (perhaps compromised) key stops being trusted within this long. */
const MAX_AGE_MS = 10 * 60_000;
/** Bounds the refetches a flood of unknown kids can cause to one a second, yet keeps a rotation quick. */
const MIN_REFETCH_GAP_MS = 1_000;

/** Configured public keys (`jwt_validation_pubkeys`, Kubernetes `pem_keys`): every one is a candidate. */
export class StaticKeys implements KeyResolver {
  private readonly keys: KeyObject[];
  constructor(pems: readonly string[]) {
    this.keys = pems.map(parsePublicKeyPem);
  }
  async candidates(): Promise<VerifyKey[]> {
    return this.keys;
  }
  async issuer(): Promise<undefined> {
    return undefined;
  }
}

/** Fetches JSON from a configured endpoint; network details become a 400 without request data. */
export async function fetchProviderJson(url: string, caPem: string, what: string): Promise<unknown> {
  try {
    const res = await requestJson({ url, caPem: caPem || undefined, timeoutMs: FETCH_TIMEOUT_MS });
    if (res.status !== 200) throw new HttpJsonError('network', `HTTP ${res.status}`);
    return res.body;
  } catch (error) {
    const reason = error instanceof HttpJsonError ? error.message : 'request failed';
    throw invalid(`error fetching ${what}: ${reason}`);
  }
}

const FAMILY: Record<string, string> = { RS: 'RSA', PS: 'RSA', ES: 'EC', Ed: 'OKP' };

function usableFor(jwk: JWK, header: JWSHeaderParameters): boolean {
  if (header.kid !== undefined && jwk.kid !== header.kid) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && jwk.alg !== header.alg) return false;
  return header.alg !== undefined && jwk.kty === FAMILY[header.alg.slice(0, 2)];
}

class RemoteJwks implements KeyResolver {
  private keys: JWK[] | undefined;
  private fetchedAt = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  /** Imported keys by JWK object (a new fetch brings new objects) and algorithm; null: not importable. */
  private readonly imported = new WeakMap<JWK, Map<string, VerifyKey | null>>();

  constructor(
    private readonly url: () => Promise<{ url: string; caPem: string }>,
    private readonly clock: Clock,
    private readonly issuerOf: () => Promise<string | undefined> = async () => undefined,
  ) {}

  issuer(): Promise<string | undefined> {
    return this.issuerOf();
  }

  async candidates(header: JWSHeaderParameters): Promise<VerifyKey[]> {
    if (!this.keys || this.clock.now() - this.fetchedAt > MAX_AGE_MS) await this.refresh();
    let matching = (this.keys ?? []).filter((jwk) => usableFor(jwk, header));
    if (
      matching.length === 0 &&
      (this.pending || this.clock.now() - this.lastFetchAt >= MIN_REFETCH_GAP_MS)
    ) {
      // A provider rotating keys publishes the new kid before signing with it: look again, once,
      // joining a fetch already in flight rather than starting another.
      await this.refresh();
      matching = (this.keys ?? []).filter((jwk) => usableFor(jwk, header));
    }
    if (matching.length === 0) {
      throw invalid(
        header.kid === undefined
          ? 'error verifying token signature: no key in the JWKS matches the token'
          : 'error verifying token signature: no key in the JWKS matches the token\'s "kid"',
      );
    }
    const keys: VerifyKey[] = [];
    for (const jwk of matching) {
      const key = await this.importOnce(jwk, header.alg!);
      if (key) keys.push(key);
    }
    return keys;
  }

  /** A key of the fetched set, imported on first use and kept until the set is fetched again. */
  private async importOnce(jwk: JWK, alg: string): Promise<VerifyKey | undefined> {
    let byAlg = this.imported.get(jwk);
    if (!byAlg) {
      byAlg = new Map();
      this.imported.set(jwk, byAlg);
    }
    if (!byAlg.has(alg)) {
      try {
        const imported = await (await loadJose()).importJWK(jwk, alg);
        // jws.ts verifies with node:crypto, which takes a KeyObject; an `oct` secret is never a key here.
        byAlg.set(alg, imported instanceof Uint8Array ? null : KeyObject.from(imported));
      } catch {
        byAlg.set(alg, null); // a malformed entry is skipped; the others may still verify
      }
    }
    return byAlg.get(alg) ?? undefined;
  }

  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.lastFetchAt = this.clock.now();
    const { url, caPem } = await this.url();
    const body = await fetchProviderJson(url, caPem, 'jwks keyset');
    if (!isPlainObject(body) || !Array.isArray(body.keys)) {
      throw invalid('error fetching jwks keyset: the answer has no "keys" list');
    }
    this.keys = body.keys.filter((k): k is JWK => isPlainObject(k) && typeof k.kty === 'string');
    this.fetchedAt = this.clock.now();
  }
}

interface DiscoveryDocument {
  issuer: string;
  jwksUri: string;
}

/** Fetches and checks `<url>/.well-known/openid-configuration`, as OIDC discovery prescribes. */
export async function fetchDiscovery(discoveryUrl: string, caPem: string): Promise<DiscoveryDocument> {
  const base = discoveryUrl.replace(/\/+$/, '');
  const body = await fetchProviderJson(
    `${base}/.well-known/openid-configuration`,
    caPem,
    'oidc discovery document',
  );
  if (!isPlainObject(body) || typeof body.issuer !== 'string' || typeof body.jwks_uri !== 'string') {
    throw invalid('error fetching oidc discovery document: "issuer" or "jwks_uri" missing');
  }
  // The issuer must be the URL we asked, or anyone serving a document could claim any issuer.
  if (body.issuer.replace(/\/+$/, '') !== base) {
    throw invalid('oidc discovery document: issuer did not match the oidc_discovery_url');
  }
  return { issuer: body.issuer, jwksUri: body.jwks_uri };
}

function discoveryResolver(config: KeyConfig, clock: Clock): KeyResolver {
  let document: Promise<DiscoveryDocument> | undefined;
  const load = () => {
    document ??= fetchDiscovery(config.oidcDiscoveryUrl, config.oidcDiscoveryCaPem).catch((error) => {
      document = undefined; // retry on the next login rather than caching a failure
      throw error;
    });
    return document;
  };
  return new RemoteJwks(
    async () => ({ url: (await load()).jwksUri, caPem: config.oidcDiscoveryCaPem }),
    clock,
    async () => (await load()).issuer,
  );
}

function createResolver(config: KeyConfig, clock: Clock): KeyResolver {
  switch (keySourceOf(config)) {
    case 'pubkeys':
      return new StaticKeys(config.jwtValidationPubkeys);
    case 'jwks':
      return new RemoteJwks(async () => ({ url: config.jwksUrl, caPem: config.jwksCaPem }), clock);
    case 'discovery':
      return discoveryResolver(config, clock);
  }
}

/** One resolver per mount, rebuilt whenever the mount's key source settings change. */
export class KeyResolverCache {
  private readonly byMount = new Map<
    string,
    { config: KeyConfig; fingerprint: string; resolver: KeyResolver }
  >();

  resolverFor(mountUuid: string, config: KeyConfig, clock: Clock): KeyResolver {
    const cached = this.byMount.get(mountUuid);
    // The same frozen config as last time (the barrier's cached entry) cannot have changed.
    if (cached?.config === config && Object.isFrozen(config)) return cached.resolver;
    const fingerprint = JSON.stringify([
      config.jwtValidationPubkeys,
      config.jwksUrl,
      config.jwksCaPem,
      config.oidcDiscoveryUrl,
      config.oidcDiscoveryCaPem,
    ]);
    if (cached?.fingerprint === fingerprint) {
      cached.config = config;
      return cached.resolver;
    }
    const resolver = createResolver(config, clock);
    this.byMount.set(mountUuid, { config, fingerprint, resolver });
    return resolver;
  }

  forget(mountUuid: string): void {
    this.byMount.delete(mountUuid);
  }
}
