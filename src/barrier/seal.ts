/**
 * What the core asks of a seal, whatever protects the root key: Shamir shares held by operators, or
 * an auto seal (a remote transit engine) that encrypts it and gives recovery keys instead.
 */

export interface SealStatus {
  /** `shamir`, or the auto seal's type (`transit`). */
  type: string;
  initialized: boolean;
  sealed: boolean;
  /** Threshold and shares of what `sys/unseal` takes: unseal keys, or recovery keys for an auto seal. */
  t: number;
  n: number;
  progress: number;
  nonce: string;
}

export interface SealInitParams {
  secretShares: number;
  secretThreshold: number;
  recoveryShares: number;
  recoveryThreshold: number;
}

export interface SealInitResult {
  /** Unseal key shares; none under an auto seal, which keeps the root key itself. */
  keys: Uint8Array[];
  /** Recovery key shares; only under an auto seal. */
  recoveryKeys: Uint8Array[];
}

export interface Seal {
  readonly type: string;
  /** True for auto seals: `sys/unseal` takes recovery keys, which authorise but never decrypt. */
  readonly recoverySeal: boolean;
  isInitialized(): Promise<boolean>;
  status(): Promise<SealStatus>;
  /** Creates the keys; leaves the barrier unsealed so the caller can write the root token, then seal. */
  initialize(params: SealInitParams): Promise<SealInitResult>;
  resetProgress(): void;
  /** Adds a share (unseal or recovery key); true once the barrier is unsealed. */
  submitShare(key: string): Promise<boolean>;
  /** Auto seals: opens the barrier with the stored root key, decrypted by the remote seal. */
  unsealWithStoredKeys?(): Promise<void>;
  /** Stops background work (token renewal). */
  close?(): void;
}

/**
 * The remote half of an auto seal: encrypts and decrypts small values (the root and recovery keys).
 * Errors it throws carry no key material, no token and no remote address (they reach API clients).
 */
export interface SealWrapper {
  readonly type: string;
  encrypt(plaintext: Uint8Array): Promise<string>;
  decrypt(ciphertext: string): Promise<Uint8Array>;
  /** Where the seal points, for log lines: never the token. */
  describe(): Record<string, string>;
  close(): void;
}
