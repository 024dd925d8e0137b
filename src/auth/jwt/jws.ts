/**
 * A compact JWS's header and signature check (RFC 7515), on node:crypto's one-shot `verify`, which
 * returns at once. Written here rather than taken from jose because jose 6 verifies only through
 * WebCrypto, which runs every verification as a job on libuv's thread pool: side by side a JWT login
 * cost 224.4 µs of server CPU that way against 205.5 µs so (2026-12-03, docs/performance.md). jose
 * still imports JWKS keys. This file maps each asymmetric JWS algorithm (RFC 7518 §3) to node:crypto's
 * parameters and refuses a key whose type, curve or size does not fit it, as jose does.
 */
import { constants, type KeyObject, verify } from 'node:crypto';
import { firstNonBase64UrlChar } from '../../framework/strict-base64.js';

interface Algorithm {
  /** The digest node:crypto signs with; null for EdDSA, which names none. */
  hash: string | null;
  /** `KeyObject.asymmetricKeyType` values the algorithm accepts. */
  keyTypes: readonly string[];
  /** The EC curve (`asymmetricKeyDetails.namedCurve`) an ES algorithm needs. */
  curve?: string;
  /** RSASSA-PSS, its salt as long as the digest (RFC 7518 §3.5). */
  pssSaltLength?: number;
}

/** jose's and Vault's floor: a smaller RSA key is refused for RS and PS algorithms. */
const MIN_RSA_BITS = 2048;

const rsa = (bits: number): Algorithm => ({ hash: `sha${bits}`, keyTypes: ['rsa'] });
const pss = (bits: number): Algorithm => ({
  hash: `sha${bits}`,
  keyTypes: ['rsa', 'rsa-pss'],
  pssSaltLength: bits / 8,
});
const ecdsa = (bits: number, curve: string): Algorithm => ({ hash: `sha${bits}`, keyTypes: ['ec'], curve });

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: pss(256),
  PS384: pss(384),
  PS512: pss(512),
  ES256: ecdsa(256, 'prime256v1'),
  ES384: ecdsa(384, 'secp384r1'),
  ES512: ecdsa(512, 'secp521r1'),
  // As in jose 6 and Vault: Ed25519 keys only.
  EdDSA: { hash: null, keyTypes: ['ed25519'] },
};

export interface CompactJws {
  /** The protected header, parsed: a JSON object. */
  header: Record<string, unknown>;
  /** The exact bytes the signature covers: `<header>.<payload>` as sent. */
  signingInput: Buffer;
  payload: Buffer;
  signature: Buffer;
}

/** Three base64url parts without padding, the header a JSON object; undefined for anything else. */
export function parseCompactJws(token: string): CompactJws | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => firstNonBase64UrlChar(part) !== -1)) return undefined;
  const [header, payload, signature] = parts;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return {
    header: parsed as Record<string, unknown>,
    signingInput: Buffer.from(token.slice(0, header.length + 1 + payload.length), 'ascii'),
    payload: Buffer.from(payload, 'base64url'),
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** Whether `key` fits `alg` (type, curve, RSA size); a misfit never verifies, whatever the signature. */
function keyFits(algorithm: Algorithm, key: KeyObject): boolean {
  if (key.type !== 'public' || !algorithm.keyTypes.includes(key.asymmetricKeyType ?? '')) return false;
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm.curve !== undefined) return details.namedCurve === algorithm.curve;
  if (key.asymmetricKeyType?.startsWith('rsa')) return (details.modulusLength ?? 0) >= MIN_RSA_BITS;
  return true;
}

/** Whether `jws` carries a valid signature by `key` under `alg` (an algorithm this file knows). */
export function verifiesWith(jws: CompactJws, alg: string, key: KeyObject): boolean {
  const algorithm = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
  if (!algorithm || !keyFits(algorithm, key)) return false;
  try {
    return verify(
      algorithm.hash,
      jws.signingInput,
      algorithm.pssSaltLength === undefined
        ? { key, dsaEncoding: 'ieee-p1363' }
        : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength },
      jws.signature,
    );
  } catch {
    return false; // a signature of the wrong length, for one: no key verifies it
  }
}
