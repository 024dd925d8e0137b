/**
 * Vault's auto seal: the root key is stored encrypted by a remote seal (a transit engine) and the
 * server unseals itself with it. Init gives recovery keys instead of unseal keys: Shamir shares of
 * a separate recovery key, which `sys/unseal` checks before it unseals through the remote. They
 * authorise; they can never decrypt the root key.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { split } from 'shamir-secret-sharing';
import { CofferError, internal, invalid } from '../core/errors.js';
import type { StorageBackend, TxOp } from '../storage/backend.js';
import type { Barrier } from './barrier.js';
import type { Seal, SealInitParams, SealInitResult, SealStatus, SealWrapper } from './seal.js';
import { checkShareLength, checkStoredSplit, decodeShare, ShareCollector, validateSplit } from './shares.js';

/** Vault's paths. All are outside the barrier; the two key entries are encrypted by the remote seal. */
export const AUTO_SEAL_PATHS = {
  sealConfig: 'core/seal-config',
  storedKeys: 'core/hsm/barrier-unseal-keys',
  recoveryConfig: 'core/recovery-config',
  recoveryKey: 'core/recovery-key',
} as const;

interface SplitConfig {
  type: string;
  secret_shares: number;
  secret_threshold: number;
  stored_shares?: number;
}

/** What the remote seal wrote: its ciphertext, and the key version in it (Vault's KeyInfo). */
interface WrappedEntry {
  ciphertext: string;
}

export class AutoSeal implements Seal {
  readonly recoverySeal = true;
  private readonly shares = new ShareCollector();
  /** Written once, at init (no rekey): once read, status needs no storage read. */
  private known?: { barrier: SplitConfig; recovery: SplitConfig };

  constructor(
    private readonly physical: StorageBackend,
    private readonly barrier: Barrier,
    private readonly wrapper: SealWrapper,
  ) {}

  get type(): string {
    return this.wrapper.type;
  }

  private async readConfig(path: string): Promise<SplitConfig | undefined> {
    const raw = await this.physical.get(path);
    if (!raw) return undefined;
    try {
      return JSON.parse(Buffer.from(raw).toString('utf8')) as SplitConfig;
    } catch {
      throw internal(`the seal configuration (${path}) is corrupt: not valid JSON`);
    }
  }

  /**
   * The stored recovery split, checked as the Shamir seal checks its configuration: a damaged one
   * (threshold 0, fewer shares than the threshold) stops the unseal naming the entry, instead of
   * unsealing on no recovery key at all or never unsealing.
   */
  private async readRecoveryConfig(): Promise<SplitConfig | undefined> {
    const path = AUTO_SEAL_PATHS.recoveryConfig;
    const config = (await this.readConfig(path)) as Partial<SplitConfig> | null | undefined;
    if (config === undefined) return undefined;
    const corrupt = (why: string) => internal(`the recovery configuration (${path}) is corrupt: ${why}`);
    if (config?.type !== 'shamir') throw corrupt('unknown seal type');
    const { shares, threshold } = checkStoredSplit(config, corrupt);
    return { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
  }

  private async configs(): Promise<{ barrier: SplitConfig; recovery: SplitConfig } | undefined> {
    if (this.known) return this.known;
    const barrier = await this.readConfig(AUTO_SEAL_PATHS.sealConfig);
    // Not initialised is never remembered: another server on the same storage may initialise it.
    if (!barrier) return undefined;
    if (barrier.type !== this.type) {
      // Vault's words; seal migration is not supported, so this server cannot open that storage.
      throw invalid(`barrier seal type of "${barrier.type}" does not match loaded type of "${this.type}"`);
    }
    const recovery = await this.readRecoveryConfig();
    if (!recovery)
      throw internal(`the recovery configuration (${AUTO_SEAL_PATHS.recoveryConfig}) is missing`);
    this.known = { barrier, recovery };
    return this.known;
  }

  async isInitialized(): Promise<boolean> {
    return (await this.configs()) !== undefined;
  }

  /** As Vault: `t` and `n` are the recovery split's, since recovery keys are what `sys/unseal` takes. */
  async status(): Promise<SealStatus> {
    const configs = await this.configs();
    return {
      type: this.type,
      initialized: configs !== undefined,
      sealed: this.barrier.isSealed(),
      t: configs?.recovery.secret_threshold ?? 0,
      n: configs?.recovery.secret_shares ?? 0,
      progress: this.shares.progress,
      nonce: this.shares.nonce,
    };
  }

  async initialize(params: SealInitParams): Promise<SealInitResult> {
    if (await this.isInitialized()) throw invalid('Vault is already initialized');
    if (params.recoveryShares < 1)
      throw invalid('recovery configuration must specify a positive number of shares');
    validateSplit(params.recoveryShares, params.recoveryThreshold, 'invalid recovery configuration');
    const rootKey = randomBytes(32);
    const recoveryKey = randomBytes(32);
    try {
      // The remote first: if it is down or refuses, nothing has been written.
      const storedKeys = await this.wrap(rootKey);
      const storedRecovery = await this.wrap(recoveryKey);
      const recoveryKeys =
        params.recoveryShares === 1
          ? [new Uint8Array(recoveryKey)]
          : await split(new Uint8Array(recoveryKey), params.recoveryShares, params.recoveryThreshold);
      const recovery = {
        type: 'shamir',
        secret_shares: params.recoveryShares,
        secret_threshold: params.recoveryThreshold,
      };
      // Vault forces the barrier split of an auto seal to one share, stored.
      const barrier = { type: this.type, secret_shares: 1, secret_threshold: 1, stored_shares: 1 };
      const put = (key: string, value: unknown): TxOp => ({
        op: 'put',
        key,
        value: Buffer.from(JSON.stringify(value)),
      });
      // One transaction with the keyring: a storage failure midway leaves nothing, so init can be
      // retried (entries written one by one left a keyring that made every later init refuse).
      await this.barrier.initialize(rootKey, [
        put(AUTO_SEAL_PATHS.storedKeys, storedKeys),
        put(AUTO_SEAL_PATHS.recoveryKey, storedRecovery),
        put(AUTO_SEAL_PATHS.recoveryConfig, recovery),
        // Its presence is what "initialised" means.
        put(AUTO_SEAL_PATHS.sealConfig, barrier),
      ]);
      this.known = { barrier, recovery };
      return { keys: [], recoveryKeys };
    } finally {
      rootKey.fill(0);
      recoveryKey.fill(0);
    }
  }

  private async wrap(key: Buffer): Promise<WrappedEntry> {
    try {
      return { ciphertext: await this.wrapper.encrypt(key) };
    } catch (error) {
      throw invalid(`failed to encrypt keys for storage: ${(error as Error).message}`);
    }
  }

  /** Decrypts a stored key entry through the remote seal; `label` names it in errors. */
  private async unwrap(path: string): Promise<Buffer> {
    const raw = await this.physical.get(path);
    if (!raw) throw internal(`the stored key entry (${path}) is missing`);
    let entry: Partial<WrappedEntry>;
    try {
      entry = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<WrappedEntry>;
    } catch {
      throw internal(`the stored key entry (${path}) is corrupt`);
    }
    if (typeof entry.ciphertext !== 'string') throw internal(`the stored key entry (${path}) is corrupt`);
    try {
      return Buffer.from(await this.wrapper.decrypt(entry.ciphertext));
    } catch (error) {
      throw internal(`failed to decrypt encrypted stored keys: ${(error as Error).message}`);
    }
  }

  async unsealWithStoredKeys(): Promise<void> {
    if (!this.barrier.isSealed()) return;
    if (!(await this.configs())) throw invalid('Vault is not initialized');
    const rootKey = await this.unwrap(AUTO_SEAL_PATHS.storedKeys);
    try {
      // The remote decrypted its ciphertext, but what it returned is not the key of this keyring
      // (another key, another storage): saying the keyring is corrupt sent operators restoring it.
      await this.barrier.unseal(rootKey, () =>
        internal(
          `the root key returned by the ${this.type} seal does not open the barrier keyring (core/keyring)`,
        ),
      );
    } finally {
      rootKey.fill(0);
    }
  }

  resetProgress(): void {
    this.shares.reset();
  }

  /**
   * A recovery key share. At the threshold the recovery key is checked against the stored one (the
   * remote decrypts it), then the root key is fetched through the remote: with the remote down or
   * refusing, no number of recovery keys unseals.
   */
  async submitShare(key: string): Promise<boolean> {
    const share = decodeShare(key);
    if (!this.barrier.isSealed()) return true;
    const configs = await this.configs();
    if (!configs) throw invalid('Vault is not initialized');
    checkShareLength(share);
    if (!this.shares.add(share)) return false;
    const threshold = configs.recovery.secret_threshold;
    if (this.shares.progress < threshold) return false;
    let submitted: Buffer | undefined;
    try {
      submitted = (await this.shares.combined(threshold))!;
      await this.verifyRecoveryKey(submitted);
      await this.unsealWithStoredKeys();
      return true;
    } finally {
      submitted?.fill(0);
      this.resetProgress();
    }
  }

  private async verifyRecoveryKey(submitted: Buffer): Promise<void> {
    const failed = (why: string) => invalid(`invalid key: failed to verify recovery key: ${why}`);
    let stored: Buffer;
    try {
      stored = await this.unwrap(AUTO_SEAL_PATHS.recoveryKey);
    } catch (error) {
      throw failed(error instanceof CofferError ? error.message : 'failed to read recovery key');
    }
    try {
      // constant-time: compares a secret.
      if (stored.length !== submitted.length || !timingSafeEqual(stored, submitted))
        throw failed('recovery key does not match submitted values');
    } finally {
      stored.fill(0);
    }
  }
}
