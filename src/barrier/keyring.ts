/** The barrier's keys by term. Old terms stay so entries written before a rotation remain readable. */
import { randomBytes } from 'node:crypto';

export interface KeyTerm {
  term: number;
  key: Buffer;
  installTime: number;
  /** Encryptions under this term, as last persisted (the barrier counts the live figure). */
  encryptions: number;
}

/** Vault's `sys/rotate/config`: automatic rotation by encryption count and by the key's age. */
export interface RotationConfig {
  maxOperations: number;
  /** 0: no rotation by age. */
  intervalSeconds: number;
  enabled: boolean;
}

/**
 * NIST SP 800-38D caps one AES-GCM key with random 96-bit nonces at 2^32 encryptions; Vault rotates
 * at 90% of that (3,865,470,566) by default, and so does this barrier.
 */
export const DEFAULT_ROTATION: RotationConfig = {
  maxOperations: 3_865_470_566,
  intervalSeconds: 0,
  enabled: true,
};

export class Keyring {
  private constructor(
    private readonly terms: Map<number, KeyTerm>,
    private active: number,
    readonly rotation: RotationConfig = DEFAULT_ROTATION,
  ) {}

  static create(now = Date.now()): Keyring {
    return new Keyring(
      new Map([[1, { term: 1, key: randomBytes(32), installTime: now, encryptions: 0 }]]),
      1,
    );
  }

  get activeTerm(): KeyTerm {
    return this.terms.get(this.active)!;
  }

  keyFor(term: number): Buffer | undefined {
    return this.terms.get(term)?.key;
  }

  rotated(now = Date.now()): Keyring {
    const term = this.active + 1;
    const next = new Map(this.terms);
    next.set(term, { term, key: randomBytes(32), installTime: now, encryptions: 0 });
    return new Keyring(next, term, this.rotation);
  }

  /** This keyring with the active term's encryption count and, if given, a new rotation config. */
  withState(encryptions: number, rotation: RotationConfig = this.rotation): Keyring {
    const next = new Map(this.terms);
    next.set(this.active, { ...this.activeTerm, encryptions });
    return new Keyring(next, this.active, rotation);
  }

  serialize(): Buffer {
    const terms = [...this.terms.values()].map((t) => ({
      term: t.term,
      key: t.key.toString('base64'),
      install_time: t.installTime,
      encryptions: t.encryptions,
    }));
    const rotation = {
      max_operations: this.rotation.maxOperations,
      interval: this.rotation.intervalSeconds,
      enabled: this.rotation.enabled,
    };
    return Buffer.from(JSON.stringify({ active: this.active, terms, rotation }));
  }

  static deserialize(bytes: Uint8Array): Keyring {
    const raw = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      active: number;
      terms: { term: number; key: string; install_time: number; encryptions?: number }[];
      rotation?: { max_operations: number; interval: number; enabled: boolean };
    };
    const terms = new Map(
      raw.terms.map((t) => [
        t.term,
        {
          term: t.term,
          key: Buffer.from(t.key, 'base64'),
          installTime: t.install_time,
          // Keyrings written before counts were kept start from 0.
          encryptions: t.encryptions ?? 0,
        },
      ]),
    );
    // A keyring without its active term or with a short key would fail every later write instead of
    // the unseal: refuse it here (the message carries no key bytes).
    const valid = [...terms.values()].every((t) => Number.isInteger(t.term) && t.key.length === 32);
    if (!valid || !terms.has(raw.active)) {
      for (const t of terms.values()) t.key.fill(0);
      throw new Error('malformed keyring');
    }
    const rotation = raw.rotation
      ? {
          maxOperations: raw.rotation.max_operations,
          intervalSeconds: raw.rotation.interval,
          enabled: raw.rotation.enabled,
        }
      : DEFAULT_ROTATION;
    return new Keyring(terms, raw.active, rotation);
  }

  /** Overwrites key bytes so a sealed process holds no usable key material. */
  wipe(): void {
    for (const term of this.terms.values()) term.key.fill(0);
  }
}
