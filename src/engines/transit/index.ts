/**
 * The `transit` engine: encryption as a service. Named keys live behind the barrier and never leave
 * it (no export yet); callers send plaintext or ciphertext and get the other back, in Vault's format.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { KeyLocks } from './locks.js';
import { datakeyPaths } from './paths/datakey.js';
import { decryptPaths } from './paths/decrypt.js';
import { encryptPaths } from './paths/encrypt.js';
import { hmacPaths } from './paths/hmac.js';
import { keyPaths } from './paths/keys.js';
import { randomPaths } from './paths/random.js';
import { rewrapPaths } from './paths/rewrap.js';
import { signPaths } from './paths/sign.js';

export function createTransitEngine(): Engine {
  const locks = new KeyLocks();
  return defineEngine({
    type: 'transit',
    help: 'Encrypts, decrypts, signs and verifies with named keys kept behind the barrier.',
    paths: [
      ...keyPaths(locks),
      ...encryptPaths(locks),
      ...decryptPaths,
      ...rewrapPaths,
      ...datakeyPaths,
      ...hmacPaths,
      ...signPaths,
      ...randomPaths,
    ],
  });
}

export const transitEngine = createTransitEngine();
