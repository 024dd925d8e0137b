/**
 * The barrier: every logical read and write passes through AES-256-GCM under the keyring, and the
 * keyring itself is stored encrypted by the root key. Sealed, it refuses everything with 503.
 */
import { CofferError, invalid, sealedError } from '../core/errors.js';
import { deepFreeze } from '../framework/deep-freeze.js';
import type { MaybePromise } from '../framework/maybe-promise.js';
import {
  isNameScanner,
  isPrefixProbe,
  type NamePage,
  type StorageBackend,
  type TxOp,
} from '../storage/backend.js';
import { AUTH_FAILED, decryptEntry, encryptEntry, termOf } from './aes-gcm.js';
import { Keyring, type RotationConfig } from './keyring.js';
import { ABSENT, ByteLru, MISS } from './lru.js';

/** Physical keys outside the barrier; logical callers may never touch them. */
export const RESERVED_KEYS = new Set([
  'core/seal-config',
  'core/keyring',
  'core/root-key',
  'core/lock',
  // An auto seal's entries, encrypted by the remote seal or in clear (the recovery split).
  'core/hsm/barrier-unseal-keys',
  'core/recovery-config',
  'core/recovery-key',
]);
const KEYRING_PATH = 'core/keyring';

const corruptKeyring = (why: string) =>
  new CofferError(
    'internal',
    `the barrier keyring (${KEYRING_PATH}) is corrupt or not written under this root key: ${why}`,
  );

export class Barrier implements StorageBackend {
  private keyring?: Keyring;
  private rootKey?: Buffer;
  /** Encryptions under the active term, and the figure last written with the keyring. */
  private encryptions = 0;
  private persistedEncryptions = 0;
  /**
   * Keyring writes one at a time: a count write that read the keyring before a rotation and landed
   * after it would drop the new term, and with it every entry written under it.
   */
  private keyringWrites: Promise<unknown> = Promise.resolve();
  private readonly cache: ByteLru;
  /** Bumped on every committed write and on seal; see `get` and `transaction`. */
  private writeEpoch = 0;
  /**
   * Storage reads in flight for keys not in the cache, with the epoch each started in: a get of the
   * same key joins one instead of reading again (see `get`).
   */
  private readonly reading = new Map<string, { epoch: number; value: Promise<Uint8Array | undefined> }>();

  constructor(
    private readonly physical: StorageBackend,
    options: { cacheBytes?: number } = {},
  ) {
    this.cache = new ByteLru(options.cacheBytes ?? 32 << 20);
  }

  get type(): string {
    return this.physical.type;
  }

  async isInitialized(): Promise<boolean> {
    return (await this.physical.get(KEYRING_PATH)) !== undefined;
  }

  isSealed(): boolean {
    return this.keyring === undefined;
  }

  /**
   * Creates term 1 and stores the keyring under the root key, with the seal's own entries (`entries`)
   * in the same transaction: a failure midway must not leave a keyring without its seal entries, a
   * store no seal calls initialised and this barrier refuses to initialise again. Leaves it unsealed.
   */
  async initialize(rootKey: Uint8Array, entries: TxOp[] = []): Promise<void> {
    if (await this.isInitialized()) throw invalid('Vault is already initialized');
    const keyring = Keyring.create();
    const stored = encryptEntry(rootKey, 0, KEYRING_PATH, keyring.serialize());
    if (entries.length === 0) await this.physical.put(KEYRING_PATH, stored);
    else await this.physical.transaction([{ op: 'put', key: KEYRING_PATH, value: stored }, ...entries]);
    this.open(keyring, rootKey);
  }

  /**
   * `notOpened` is the error for a keyring whose authentication fails under `rootKey`: a seal that
   * did not authenticate the root key itself (an auto seal) says that its key does not open it.
   */
  async unseal(rootKey: Uint8Array, notOpened?: () => CofferError): Promise<void> {
    const stored = await this.physical.get(KEYRING_PATH);
    // The seal authenticated the root key before this runs, so a keyring that is missing or does not
    // decrypt is damaged storage, not wrong unseal keys: say which entry, and keep the text free of
    // its bytes (a 400 "wrong keys" sent operators hunting for other keys).
    if (!stored) throw corruptKeyring('the entry is missing');
    let plain: Uint8Array;
    try {
      plain = decryptEntry(rootKey, KEYRING_PATH, stored);
    } catch (error) {
      if (notOpened && error instanceof CofferError && error.message === AUTH_FAILED) throw notOpened();
      throw corruptKeyring(error instanceof CofferError ? error.message : 'failed to decrypt');
    }
    let keyring: Keyring;
    try {
      keyring = Keyring.deserialize(plain);
    } catch {
      throw corruptKeyring('the decrypted keyring is malformed');
    } finally {
      Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).fill(0);
    }
    this.open(keyring, rootKey);
  }

  private open(keyring: Keyring, rootKey: Uint8Array): void {
    this.keyring = keyring;
    this.rootKey = Buffer.from(rootKey);
    // The count carries on across restarts: it is what auto-rotation's max_operations is measured by.
    this.encryptions = keyring.activeTerm.encryptions;
    this.persistedEncryptions = this.encryptions;
  }

  /**
   * HA takeover: the keyring read again under the root key this node holds, as the active node left
   * it (it may have rotated it), and nothing of the cache kept, since the other node wrote meanwhile.
   */
  async reload(): Promise<void> {
    if (!this.rootKey) throw sealedError();
    const previous = { keyring: this.keyring, rootKey: this.rootKey };
    const rootKey = Buffer.from(this.rootKey);
    try {
      await this.unseal(rootKey);
    } finally {
      rootKey.fill(0);
    }
    if (previous.keyring !== this.keyring) previous.keyring?.wipe();
    if (previous.rootKey !== this.rootKey) previous.rootKey.fill(0);
    this.writeEpoch++;
    this.reading.clear();
    this.cache.clear();
  }

  seal(): void {
    this.keyring?.wipe();
    this.rootKey?.fill(0);
    this.keyring = undefined;
    this.rootKey = undefined;
    // A read still in flight decrypted with the old keyring: it must not refill the emptied cache.
    this.writeEpoch++;
    this.reading.clear();
    this.cache.clear();
  }

  /**
   * Writes the keyring `change` makes of the current one, after any write already running, and
   * installs it once stored; `installed` runs right then. `change` runs inside the queue, so it always
   * starts from the latest keyring. Sealed meanwhile (and perhaps unsealed again, from the keyring as
   * it was), nothing is installed and the write fails as sealed.
   */
  private writeKeyring(change: (current: Keyring) => Keyring, installed?: () => void): Promise<Keyring> {
    const write = this.keyringWrites.then(async () => {
      const current = this.unsealedKeyring();
      const rootKey = this.rootKey!;
      const next = change(current);
      await this.physical.put(KEYRING_PATH, encryptEntry(rootKey, 0, KEYRING_PATH, next.serialize()));
      if (this.keyring !== current) {
        // A term added here was never used: its key goes (the next count write stores the keyring
        // the new session has).
        if (next.activeTerm.term !== current.activeTerm.term) next.activeTerm.key.fill(0);
        throw sealedError();
      }
      this.keyring = next;
      installed?.();
      return next;
    });
    this.keyringWrites = write.catch(() => undefined);
    return write;
  }

  /** Adds a key term; new writes use it, old entries stay readable. Persisted before it takes effect. */
  async rotate(now = Date.now()): Promise<{ term: number; installTime: Date }> {
    const next = await this.writeKeyring(
      (current) => current.withState(this.encryptions).rotated(now),
      () => {
        this.encryptions = 0;
        this.persistedEncryptions = 0;
      },
    );
    return { term: next.activeTerm.term, installTime: new Date(next.activeTerm.installTime) };
  }

  keyStatus(): { term: number; installTime: Date; encryptions: number } {
    const active = this.unsealedKeyring().activeTerm;
    return { term: active.term, installTime: new Date(active.installTime), encryptions: this.encryptions };
  }

  rotationConfig(): RotationConfig {
    return this.unsealedKeyring().rotation;
  }

  /**
   * Replaces the rotation config with what `change` makes of the one stored, inside the keyring's
   * write queue: two updates at once each keep the other's fields. `change` may throw to refuse.
   */
  async updateRotationConfig(change: (current: RotationConfig) => RotationConfig): Promise<void> {
    await this.writeKeyring((current) => current.withState(this.encryptions, change(current.rotation)));
  }

  /** Stores the active term's encryption count if it moved since it was last stored. */
  async persistEncryptions(): Promise<void> {
    if (this.isSealed() || this.encryptions === this.persistedEncryptions) return;
    let counted = 0;
    await this.writeKeyring(
      (current) => {
        counted = this.encryptions;
        return current.withState(counted);
      },
      () => {
        this.persistedEncryptions = counted;
      },
    );
  }

  private unsealedKeyring(): Keyring {
    if (!this.keyring) throw sealedError();
    return this.keyring;
  }

  private checkKey(key: string): void {
    if (RESERVED_KEYS.has(key)) throw new CofferError('invalid_request', 'reserved storage path');
  }

  /** Decrypts a stored entry under the key term it was sealed with. */
  private decrypt(keyring: Keyring, key: string, stored: Uint8Array): Uint8Array {
    const termKey = keyring.keyFor(termOf(stored));
    if (!termKey) throw new CofferError('internal', 'failed to decrypt: unknown key term');
    return decryptEntry(termKey, key, stored);
  }

  private encrypt(key: string, value: Uint8Array): Uint8Array {
    const active = this.unsealedKeyring().activeTerm;
    this.encryptions++;
    return encryptEntry(active.key, active.term, key, value);
  }

  get(key: string): MaybePromise<Uint8Array | undefined> {
    let keyring: Keyring;
    let cached: ReturnType<ByteLru['get']>;
    try {
      keyring = this.unsealedKeyring();
      this.checkKey(key);
      cached = this.cache.get(key);
    } catch (error) {
      return Promise.reject(error);
    }
    // A cached entry (or a cached miss) is answered at once (see MaybePromise).
    if (cached === ABSENT) return undefined;
    if (cached) return cached;
    return this.readShared(keyring, key);
  }

  private async readShared(keyring: Keyring, key: string): Promise<Uint8Array | undefined> {
    // Single flight: concurrent reads of one uncached key share a storage read. On a remote store,
    // every client asking for the same secret at once (a deploy, the first reads after unseal) each
    // went to PostgreSQL: 64 connections reading the same new keys kept kv2-read at one query per
    // request. Only a read started since the last committed write is joined, so a read that begins
    // after a write never answers with what was read before it.
    let read = this.reading.get(key);
    if (!read || read.epoch !== this.writeEpoch) {
      const epoch = this.writeEpoch;
      const entry = { epoch, value: this.readThrough(keyring, key, epoch) };
      const forget = () => {
        if (this.reading.get(key) === entry) this.reading.delete(key);
      };
      entry.value.then(forget, forget);
      this.reading.set(key, entry);
      read = entry;
    }
    const shared = await read.value;
    return shared && Buffer.from(shared); // each caller its own copy, as from the cache
  }

  /** A storage read and decrypt; cached only if no write committed (and no seal came) meanwhile. */
  private async readThrough(keyring: Keyring, key: string, epoch: number): Promise<Uint8Array | undefined> {
    const stored = await this.physical.get(key);
    if (!stored) {
      // Misses are cached too: a key read on every request that was never written (a mount's
      // config) would otherwise cost a storage query each time.
      if (epoch === this.writeEpoch) this.cache.set(key, ABSENT);
      return undefined;
    }
    const plain = this.decrypt(keyring, key, stored);
    // A write that committed while this read was in flight may have replaced what was read.
    if (epoch === this.writeEpoch) this.cache.set(key, plain);
    return plain;
  }

  /**
   * A JSON entry as a shared, frozen value: a cached entry is parsed once, not on every read. For hot
   * read paths that only look at what they read (see StorageView.readJson).
   */
  readJson(key: string): MaybePromise<unknown> {
    // A cached entry is answered at once (see MaybePromise): this is every hot read's last step.
    let cached: unknown;
    try {
      this.unsealedKeyring();
      this.checkKey(key);
      cached = this.cache.json(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return cached !== MISS ? cached : this.readJsonStored(key);
  }

  private async readJsonStored(key: string): Promise<unknown> {
    const plain = await this.get(key);
    if (plain === undefined) return undefined;
    const parsed = this.cache.json(key);
    // Not cached (an entry too large, or a write raced the read): parse this copy.
    return parsed !== MISS ? parsed : deepFreeze(JSON.parse(new TextDecoder().decode(plain)));
  }

  /** A page of a folder's leaf names: keys are not secret, so nothing is decrypted. */
  async scanNames(folder: string, after: string | undefined, limit: number): Promise<NamePage | undefined> {
    this.unsealedKeyring();
    if (!isNameScanner(this.physical)) return undefined;
    return this.physical.scanNames(folder, after, limit);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.transaction([{ op: 'put', key, value }]);
  }

  async delete(key: string): Promise<void> {
    await this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    this.unsealedKeyring();
    return this.physical.list(prefix);
  }

  /** Whether anything is stored under `prefix` (ending in "/"); keys are not secret, so no decryption. */
  async hasAnyUnder(prefix: string): Promise<boolean> {
    this.unsealedKeyring();
    if (isPrefixProbe(this.physical)) return this.physical.hasAnyUnder(prefix);
    return (await this.physical.list(prefix)).length > 0;
  }

  async transaction(ops: TxOp[]): Promise<void> {
    this.unsealedKeyring();
    for (const op of ops) this.checkKey(op.key);
    const sealedOps = ops.map(
      (op): TxOp =>
        op.op === 'put' ? { op: 'put', key: op.key, value: this.encrypt(op.key, op.value) } : op,
    );
    // Write-no-allocate: a key in the cache (it is being read) follows its writes; a key that is only
    // written (a new token, a lease's due entry) is not pulled in. Copying, inserting and evicting for
    // those measured as 15-18% of a token create or an AppRole login, for entries rarely read again.
    const cached = ops.filter((op) => this.cache.has(op.key));
    for (const op of ops) this.cache.delete(op.key);
    try {
      await this.physical.transaction(sealedOps);
    } finally {
      // A read that ran between the first delete and the commit may have cached the old value: drop
      // it again, and the epoch stops reads still in flight from caching what they read before. Also
      // when the write failed: storage may have applied it all the same (a commit whose
      // acknowledgement was lost), and the old value cached then was served until the next write.
      this.writeEpoch++;
      for (const op of ops) this.cache.delete(op.key);
    }
    // Fill the cache only after the write is durable, so a failed write is never served.
    for (const op of cached) {
      if (op.op === 'put') this.cache.set(op.key, op.value, op.json);
      else this.cache.set(op.key, ABSENT);
    }
  }

  async close(): Promise<void> {
    this.seal();
  }
}
