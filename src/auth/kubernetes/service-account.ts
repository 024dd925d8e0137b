/**
 * Reads the service account a JWT claims to be (legacy secret tokens and projected tokens) and
 * checks it against the role before the TokenReview. The signature is verified here only when
 * `pem_keys` is configured; otherwise the TokenReview is what proves the token.
 */
import { CofferError } from '../../core/errors.js';
import { isPlainObject } from '../../framework/fields.js';
import { globListMatches } from '../../framework/glob.js';
import { loadJose } from '../../framework/jose.js';
import { StaticKeys } from '../jwt/key-set.js';
import { verifySignature } from '../jwt/verify.js';
import type { KubernetesConfig } from './config.js';
import type { KubernetesRole } from './role.js';

export interface ServiceAccount {
  name: string;
  namespace: string;
  uid: string;
  secretName: string;
  audiences: string[];
}

/** The algorithms Kubernetes signs service account tokens with; never HMAC or none. */
const ALLOWED_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];
const CLOCK_SKEW_SECONDS = 60;
const LEGACY = 'kubernetes.io/serviceaccount/';

/** Vault's CodedError(403, …): the caller is not who the role admits. */
export const forbidden = (message: string) => new CofferError('permission_denied', message);

const text = (value: unknown) => (typeof value === 'string' ? value : '');

function accountFromClaims(claims: Record<string, unknown>): ServiceAccount {
  const projected = isPlainObject(claims['kubernetes.io']) ? claims['kubernetes.io'] : undefined;
  const account = projected && isPlainObject(projected.serviceaccount) ? projected.serviceaccount : undefined;
  const aud = claims.aud;
  return {
    name: account ? text(account.name) : text(claims[`${LEGACY}service-account.name`]),
    namespace: projected ? text(projected.namespace) : text(claims[`${LEGACY}namespace`]),
    uid: account ? text(account.uid) : text(claims[`${LEGACY}service-account.uid`]),
    secretName: text(claims[`${LEGACY}secret.name`]),
    audiences:
      typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [],
  };
}

/** Resolvers for the configured `pem_keys`, so a login does not parse every key again (bounded). */
const resolvers = new Map<string, StaticKeys>();
function keysOf(pems: string[]): StaticKeys {
  const id = pems.join('\n');
  let resolver = resolvers.get(id);
  if (!resolver) {
    if (resolvers.size >= 64) resolvers.clear();
    resolver = new StaticKeys(pems);
    resolvers.set(id, resolver);
  }
  return resolver;
}

const refuse = (message: string) => forbidden(`invalid service account JWT: ${message}`);

/**
 * The JWT's claims. With `pem_keys`, its signature is verified as the JWT method verifies one (same
 * algorithm, size and header checks); without, the TokenReview that follows is what proves it.
 */
async function verifiedClaims(jwt: string, config: KubernetesConfig): Promise<Record<string, unknown>> {
  if (config.pemKeys.length > 0) return verifySignature(jwt, keysOf(config.pemKeys), ALLOWED_ALGS, refuse);
  // Loaded on first use: servers without a Kubernetes mount never pay for it at start-up.
  const { decodeJwt, decodeProtectedHeader } = await loadJose();
  let header: { alg?: string };
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt);
    claims = decodeJwt(jwt);
  } catch {
    throw refuse('not a signed JWT');
  }
  if (!header.alg || !ALLOWED_ALGS.includes(header.alg)) throw refuse('unsupported algorithm');
  return claims;
}

function checkClaims(claims: Record<string, unknown>, config: KubernetesConfig, nowSeconds: number) {
  if (!config.disableIssValidation && config.issuer !== '' && claims.iss !== config.issuer) {
    throw forbidden('invalid service account JWT: invalid issuer (iss) claim');
  }
  if (typeof claims.exp === 'number' && nowSeconds - CLOCK_SKEW_SECONDS > claims.exp) {
    throw forbidden('invalid service account JWT: token is expired');
  }
  if (typeof claims.nbf === 'number' && nowSeconds + CLOCK_SKEW_SECONDS < claims.nbf) {
    throw forbidden('invalid service account JWT: token not yet valid');
  }
}

/** Parses and checks the JWT against config and role; every refusal is a 403, none echoes the token. */
export async function serviceAccountFor(
  jwt: string,
  config: KubernetesConfig,
  role: KubernetesRole,
  nowSeconds: number,
): Promise<ServiceAccount> {
  const claims = await verifiedClaims(jwt, config);
  checkClaims(claims, config, nowSeconds);
  const account = accountFromClaims(claims);
  if (role.audience !== '' && !account.audiences.includes(role.audience)) {
    throw forbidden('invalid service account JWT: invalid audience (aud) claim');
  }
  checkBindings(account, role);
  return account;
}

/** The role's name and namespace bindings (globs; `*` admits any). */
export function checkBindings(
  account: Pick<ServiceAccount, 'name' | 'namespace'>,
  role: KubernetesRole,
): void {
  const names = role.boundServiceAccountNames;
  if (!globListMatches(names, account.name)) {
    throw forbidden('service account name not authorized');
  }
  const namespaces = role.boundServiceAccountNamespaces;
  if (!globListMatches(namespaces, account.namespace)) {
    throw forbidden('namespace not authorized');
  }
}
