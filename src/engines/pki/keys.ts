/**
 * Key pairs for CAs and issued certificates: Vault's key types and bit lengths, generated on the thread
 * pool (async `generateKeyPair`), and turned into WebCrypto keys for signing.
 */
import { generateKeyPair, type KeyObject, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { invalid } from '../../core/errors.js';

export type KeyType = 'rsa' | 'ec' | 'ed25519';

const generate = promisify(generateKeyPair);
const CURVES: Record<number, string> = { 224: 'P-224', 256: 'P-256', 384: 'P-384', 521: 'P-521' };
const RSA_BITS = [2048, 3072, 4096, 8192];

/** Vault's ValidateKeyTypeLength: 0 bits means the type's default; returns the effective bits. */
export function checkKeyBits(type: string, bits: number, allowAny = false): number {
  if (type === 'any' && allowAny) return 0;
  if (type === 'rsa') {
    const effective = bits === 0 ? 2048 : bits;
    if (!RSA_BITS.includes(effective)) throw invalid(`unsupported bit length for RSA key: ${effective}`);
    return effective;
  }
  if (type === 'ec') {
    const effective = bits === 0 ? 256 : bits;
    if (!CURVES[effective]) throw invalid(`unsupported bit length for EC key: ${effective}`);
    return effective;
  }
  if (type === 'ed25519') return 0;
  throw invalid(`unknown key type ${type}`);
}

export interface GeneratedKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function generateKey(type: KeyType, bits: number): Promise<GeneratedKey> {
  if (type === 'rsa') return generate('rsa', { modulusLength: bits });
  if (type === 'ec') return generate('ec', { namedCurve: CURVES[bits] });
  return generate('ed25519');
}

/** Vault's `private_key_format=der` (its default) is the type's traditional encoding; pkcs8 on request. */
export function checkKeyFormat(format: string | undefined): 'der' | 'pkcs8' {
  const value = format ?? 'der';
  if (value !== 'der' && value !== 'pkcs8') throw invalid(`invalid private_key_format: ${value}`);
  return value;
}

export function privateKeyPem(key: KeyObject, format: 'der' | 'pkcs8' = 'der'): string {
  const type = key.asymmetricKeyType;
  const encoding = format === 'pkcs8' || type === 'ed25519' ? 'pkcs8' : type === 'rsa' ? 'pkcs1' : 'sec1';
  return (key.export({ type: encoding, format: 'pem' }) as string).trimEnd();
}

export function keyTypeOf(key: KeyObject): KeyType {
  const type = key.asymmetricKeyType;
  if (type === 'rsa' || type === 'ec' || type === 'ed25519') return type;
  throw invalid(`unsupported key type ${type}`);
}

/** Bits of an RSA modulus or EC curve; 0 for Ed25519. */
export function keyBitsOf(key: KeyObject): number {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return details?.modulusLength ?? 0;
  if (key.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve ?? '';
    return { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp224r1: 224 }[curve] ?? 0;
  }
  return 0;
}

/** The WebCrypto algorithm a key of this type signs with (SHA-256 for RSA, the curve's hash for EC). */
export function signingAlgorithm(key: KeyObject): RsaHashedImportParams & EcKeyImportParams & EcdsaParams {
  const type = keyTypeOf(key);
  if (type === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', namedCurve: '' };
  if (type === 'ed25519') return { name: 'Ed25519', hash: '', namedCurve: '' };
  const bits = keyBitsOf(key);
  const hash = bits >= 521 ? 'SHA-512' : bits >= 384 ? 'SHA-384' : 'SHA-256';
  return { name: 'ECDSA', hash, namedCurve: CURVES[bits] };
}

/** A private KeyObject as a WebCrypto signing key (the certificate library signs through WebCrypto). */
export function toSigningKey(key: KeyObject): Promise<CryptoKey> {
  const algorithm = signingAlgorithm(key);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']) as Promise<CryptoKey>;
}
