/**
 * The `transit` engine: encryption as a service. Named keys live behind the barrier and never leave
 * it (no export yet); callers send plaintext or ciphertext and get the other back, in Vault's format.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { KeyLocks } from './locks.js';
import { decryptPaths } from './paths/decrypt.js';
import { encryptPaths } from './paths/encrypt.js';
import { keyPaths } from './paths/keys.js';

export function createTransitEngine(): Engine {
  const locks = new KeyLocks();
  return defineEngine({
    type: 'transit',
    help: 'Encrypts, decrypts, signs and verifies with named keys kept behind the barrier.',
    paths: [...keyPaths(locks), ...encryptPaths(locks), ...decryptPaths],
  });
}

export const transitEngine = createTransitEngine();
