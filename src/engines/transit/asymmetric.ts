/**
 * Key pairs for signing (Ed25519, ECDSA P-256/P-384, RSA) and RSA-OAEP encryption, all through Node's
 * crypto. Generation runs on the thread pool (RSA takes up to seconds) so it never stalls the loop.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  constants as NODE,
  privateDecrypt,
  publicEncrypt,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyType, RsaType } from './key-types.js';

const generate = promisify(generateKeyPair);

/** What a key version stores for an asymmetric type; `seed` is Ed25519's private seed and public key. */
export interface KeyPairMaterial {
  privateKey?: string; // PKCS#8 PEM (ECDSA, RSA)
  seed?: string; // base64 of seed || public key, Vault's ed25519.PrivateKey layout
  publicKey: string; // Vault's formatted public key: base64 for Ed25519, SPKI PEM otherwise
}

export const RSA_BITS: Record<RsaType, number> = { 'rsa-2048': 2048, 'rsa-3072': 3072, 'rsa-4096': 4096 };

export async function generateKeyPairFor(type: KeyType): Promise<KeyPairMaterial> {
  if (type === 'ed25519') {
    const { privateKey } = await generate('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const seed = Buffer.concat([Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.x!, 'base64url')]);
    return { seed: seed.toString('base64'), publicKey: Buffer.from(jwk.x!, 'base64url').toString('base64') };
  }
  const { privateKey, publicKey } =
    type === 'ecdsa-p256' || type === 'ecdsa-p384'
      ? await generate('ec', { namedCurve: type === 'ecdsa-p256' ? 'P-256' : 'P-384' })
      : await generate('rsa', { modulusLength: RSA_BITS[type as RsaType] });
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private key from its 32-byte seed (RFC 8410's PKCS#8 wrapping). */
export function ed25519FromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of an Ed25519 private key. */
export function ed25519PublicBytes(key: KeyObject): Buffer {
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
}

type StoredPair = Readonly<{ privateKey?: string; seed?: string }>;

/**
 * Parsed keys by stored key version. Parsing a PEM costs more than an Ed25519 or ECDSA signature, so
 * a batch parses each version once; the loaded key is frozen and shared, so its entries make
 * stable keys, and an entry dropped with its key takes the parsed key with it.
 */
const parsed = new WeakMap<StoredPair, KeyObject>();

export function privateKeyOf(material: StoredPair): KeyObject {
  let key = parsed.get(material);
  if (!key) {
    key = material.seed
      ? ed25519FromSeed(Buffer.from(material.seed, 'base64').subarray(0, 32))
      : createPrivateKey(material.privateKey!);
    parsed.set(material, key);
  }
  return key;
}

/** RSA-OAEP with SHA-256 and no label, as Vault encrypts with an RSA key (Node takes the public half). */
export function rsaEncrypt(key: KeyObject, plaintext: Uint8Array): Buffer {
  return publicEncrypt({ key, padding: NODE.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
}

/** Synchronous, as Node has no other form: callers with many to do yield between items. */
export function rsaDecrypt(key: KeyObject, ciphertext: Uint8Array): Buffer {
  return privateDecrypt({ key, padding: NODE.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext);
}
