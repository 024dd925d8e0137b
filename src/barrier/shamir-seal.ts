/**
 * Vault's Shamir seal: a random unseal key split into shares, which decrypts the root key, which
 * decrypts the barrier's keyring. Collects shares across requests until the threshold is met.
 */
import { randomBytes } from 'node:crypto';
import { split } from 'shamir-secret-sharing';
import { CofferError, internal, invalid } from '../core/errors.js';
import type { StorageBackend } from '../storage/backend.js';
import { decryptEntry, encryptEntry, termOf } from './aes-gcm.js';
import type { Barrier } from './barrier.js';
import type { Seal, SealInitParams, SealInitResult, SealStatus } from './seal.js';
import { checkShareLength, checkStoredSplit, decodeShare, ShareCollector, validateSplit } from './shares.js';

interface SealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
}

const CONFIG_PATH = 'core/seal-config';
const ROOT_KEY_PATH = 'core/root-key';
const DECRYPT_FAILED =
  'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed';

export function validateSealConfig(shares: number, threshold: number): void {
  validateSplit(shares, threshold);
}

/**
 * The stored seal configuration, checked: a damaged one must stop the unseal with its name, not turn
 * into a parse error's 500 or, with a threshold of 0, into "wrong keys" on every share.
 */
function parseSealConfig(raw: Uint8Array): SealConfig {
  const corrupt = (why: string) => internal(`the seal configuration (${CONFIG_PATH}) is corrupt: ${why}`);
  let config: Partial<SealConfig> | null;
  try {
    config = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<SealConfig> | null;
  } catch {
    // Not the parser's message: it quotes the stored text.
    throw corrupt('not valid JSON');
  }
  // Written by an auto seal: Vault's words for a server started with the wrong seal block.
  if (typeof config?.type === 'string' && config.type !== 'shamir')
    throw invalid(`barrier seal type of "${config.type}" does not match loaded type of "shamir"`);
  if (config?.type !== 'shamir') throw corrupt('unknown seal type');
  const { shares, threshold } = checkStoredSplit(config, corrupt);
  return { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
}

export class ShamirSeal implements Seal {
  readonly type = 'shamir';
  readonly recoverySeal = false;
  private readonly shares = new ShareCollector();
  /** Written once, at init, and never changed (no rekey): once read, health and status need no storage read. */
  private knownConfig?: SealConfig;

  constructor(
    private readonly physical: StorageBackend,
    private readonly barrier: Barrier,
  ) {}

  private async config(): Promise<SealConfig | undefined> {
    if (this.knownConfig) return this.knownConfig;
    const raw = await this.physical.get(CONFIG_PATH);
    // Not initialised is never remembered: another server on the same storage may initialise it.
    if (raw) this.knownConfig = parseSealConfig(raw);
    return this.knownConfig;
  }

  async isInitialized(): Promise<boolean> {
    return (await this.config()) !== undefined;
  }

  async status(): Promise<SealStatus> {
    const config = await this.config();
    return {
      type: 'shamir',
      initialized: config !== undefined,
      sealed: this.barrier.isSealed(),
      t: config?.secret_threshold ?? 0,
      n: config?.secret_shares ?? 0,
      progress: this.shares.progress,
      nonce: this.shares.nonce,
    };
  }

  /** Creates the keys; leaves the barrier unsealed so the caller can write the root token, then seal. */
  async initialize(
    params: Pick<SealInitParams, 'secretShares' | 'secretThreshold'>,
  ): Promise<SealInitResult> {
    if (await this.isInitialized()) throw invalid('Vault is already initialized');
    validateSealConfig(params.secretShares, params.secretThreshold);
    const rootKey = randomBytes(32);
    const unsealKey = randomBytes(32);
    const keys =
      params.secretShares === 1
        ? [new Uint8Array(unsealKey)]
        : await split(new Uint8Array(unsealKey), params.secretShares, params.secretThreshold);
    const config: SealConfig = {
      type: 'shamir',
      secret_shares: params.secretShares,
      secret_threshold: params.secretThreshold,
    };
    // One transaction with the keyring, so a failed init can be retried.
    await this.barrier.initialize(rootKey, [
      { op: 'put', key: ROOT_KEY_PATH, value: encryptEntry(unsealKey, 0, ROOT_KEY_PATH, rootKey) },
      { op: 'put', key: CONFIG_PATH, value: Buffer.from(JSON.stringify(config)) },
    ]);
    this.knownConfig = config;
    unsealKey.fill(0);
    rootKey.fill(0);
    return { keys, recoveryKeys: [] };
  }

  resetProgress(): void {
    this.shares.reset();
  }

  /** Adds a share; true once the barrier is unsealed. A wrong set of shares restarts the attempt. */
  async submitShare(key: string): Promise<boolean> {
    // Decoded first, as Vault does: a malformed key is a 400 even on an unsealed server.
    const share = decodeShare(key);
    if (!this.barrier.isSealed()) return true;
    const config = await this.config();
    if (!config) throw invalid('Vault is not initialized');
    checkShareLength(share);
    if (!this.shares.add(share)) return false;
    if (this.shares.progress < config.secret_threshold) return false;
    let unsealKey: Buffer | undefined;
    try {
      unsealKey = (await this.shares.combined(config.secret_threshold))!;
      const stored = await this.physical.get(ROOT_KEY_PATH);
      // A missing or malformed root key entry is damaged storage whatever the shares: name it. One
      // that fails authentication looks exactly like wrong shares, so Vault's text stays first and
      // the entry is named after it.
      if (!stored) throw internal(`the root key entry (${ROOT_KEY_PATH}) is missing`);
      try {
        termOf(stored); // the format check
      } catch (error) {
        throw internal(`the root key entry (${ROOT_KEY_PATH}) is corrupt: ${(error as Error).message}`);
      }
      let rootKey: Uint8Array;
      try {
        rootKey = decryptEntry(unsealKey, ROOT_KEY_PATH, stored);
      } catch {
        throw new CofferError('invalid_request', DECRYPT_FAILED, {
          details: [
            `the unseal keys do not decrypt ${ROOT_KEY_PATH}: they are wrong, or the entry is corrupt`,
          ],
        });
      }
      await this.barrier.unseal(rootKey);
      Buffer.from(rootKey.buffer, rootKey.byteOffset, rootKey.byteLength).fill(0);
      return true;
    } catch (error) {
      throw error instanceof Error && 'code' in error ? error : invalid(DECRYPT_FAILED);
    } finally {
      unsealKey?.fill(0);
      this.resetProgress();
    }
  }
}
