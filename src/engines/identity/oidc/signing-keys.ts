/**
 * Signing key pairs for identity tokens: generated with node:crypto on the thread pool (an RSA key
 * takes tens of milliseconds), kept as JWKs, and used through jose to sign compact JWS.
 */
import { createPrivateKey, generateKeyPair, type JsonWebKey, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { loadJose } from '../../../framework/jose.js';

const generate = promisify(generateKeyPair);

/** Vault's supportedAlgs, in its order (the discovery document lists them so). */
export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** A JWK as published: key parameters plus Vault's `kid`, `alg` and `use: "sig"`. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  [parameter: string]: string;
}

/** The private half; stored only through the mount's storage view, never returned or logged. */
export interface PrivateJwk extends PublicJwk {
  d: string;
}

const CURVES: Partial<Record<SigningAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

async function generatePair(algorithm: SigningAlgorithm) {
  if (algorithm === 'EdDSA') return generate('ed25519');
  const namedCurve = CURVES[algorithm];
  // 2048-bit RSA, as Vault generates for RS256/384/512.
  return namedCurve ? generate('ec', { namedCurve }) : generate('rsa', { modulusLength: 2048 });
}

/** Only the members a public key of this type has: never `d`, `p`, `q`, `dp`, `dq` or `qi`. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

export function publicPart(key: PublicJwk): PublicJwk {
  const out: PublicJwk = { kty: key.kty, kid: key.kid, alg: key.alg, use: 'sig' };
  for (const member of PUBLIC_MEMBERS[key.kty] ?? [])
    if (key[member] !== undefined) out[member] = key[member];
  return out;
}

/** A new key pair with a fresh UUID key id (Vault's kid). */
export async function generateSigningKey(algorithm: SigningAlgorithm): Promise<PrivateJwk> {
  const { privateKey } = await generatePair(algorithm);
  const jwk = privateKey.export({ format: 'jwk' }) as JsonWebKey & Record<string, string>;
  return { ...jwk, kid: randomUUID(), alg: algorithm, use: 'sig' } as PrivateJwk;
}

const encoder = new TextEncoder();

/** The compact JWS of `claims`, with `alg` and `kid` in its protected header. */
export async function signClaims(key: PrivateJwk, claims: Record<string, unknown>): Promise<string> {
  const { kid, alg, use: _use, ...material } = key;
  const privateKey = createPrivateKey({ key: material as JsonWebKey, format: 'jwk' });
  // Imported here, not with the module: see parseProblem in paths/introspect.ts.
  const { CompactSign } = await loadJose();
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, kid })
    .sign(privateKey);
}
