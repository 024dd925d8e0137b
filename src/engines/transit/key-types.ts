/** The key types transit offers and what each can do (Vault's keysutil KeyType methods, as data). */
import { invalid } from '../../core/errors.js';

export const KEY_TYPES = [
  'aes128-gcm96',
  'aes256-gcm96',
  'chacha20-poly1305',
  'ed25519',
  'ecdsa-p256',
  'ecdsa-p384',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'hmac',
] as const;

export type KeyType = (typeof KEY_TYPES)[number];
export type SymmetricType = 'aes128-gcm96' | 'aes256-gcm96' | 'chacha20-poly1305';
export type RsaType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

interface Abilities {
  encryption: boolean;
  signing: boolean;
  derivation: boolean;
}

const SYMMETRIC: Abilities = { encryption: true, signing: false, derivation: true };
const RSA: Abilities = { encryption: true, signing: true, derivation: false };
const EC: Abilities = { encryption: false, signing: true, derivation: false };

const ABILITIES: Record<KeyType, Abilities> = {
  'aes128-gcm96': SYMMETRIC,
  'aes256-gcm96': SYMMETRIC,
  'chacha20-poly1305': SYMMETRIC,
  ed25519: { encryption: false, signing: true, derivation: true },
  'ecdsa-p256': EC,
  'ecdsa-p384': EC,
  'rsa-2048': RSA,
  'rsa-3072': RSA,
  'rsa-4096': RSA,
  hmac: { encryption: false, signing: false, derivation: false },
};

export const abilitiesOf = (type: KeyType): Abilities => ABILITIES[type];

export function isSymmetric(type: KeyType): type is SymmetricType {
  return type === 'aes128-gcm96' || type === 'aes256-gcm96' || type === 'chacha20-poly1305';
}

export function isRsa(type: KeyType): type is RsaType {
  return type === 'rsa-2048' || type === 'rsa-3072' || type === 'rsa-4096';
}

export function parseKeyType(text: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(text)) return text as KeyType;
  throw invalid(`unknown key type ${text}`);
}

/** HMAC key sizes in bytes (Vault's HmacMinKeySize / HmacMaxKeySize). */
export const HMAC_MIN_KEY_SIZE = 32;
export const HMAC_MAX_KEY_SIZE = 512;

/** The combinations Vault's lock manager refuses when it creates a key. */
export function checkKeyOptions(type: KeyType, derived: boolean, convergent: boolean): void {
  if (convergent && !derived) throw invalid('convergent encryption requires derivation to be enabled');
  if (isSymmetric(type)) return;
  if (type === 'ed25519') {
    if (convergent) throw invalid(`convergent encryption not supported for keys of type ${type}`);
    return;
  }
  if (derived || convergent)
    throw invalid(`key derivation and convergent encryption not supported for keys of type ${type}`);
}
