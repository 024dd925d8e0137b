/** The barrier's keys by term. Old terms stay so entries written before a rotation remain readable. */
import { randomBytes } from 'node:crypto';

export interface KeyTerm {
  term: number;
  key: Buffer;
  installTime: number;
}

export class Keyring {
  private constructor(
    private readonly terms: Map<number, KeyTerm>,
    private active: number,
  ) {}

  static create(now = Date.now()): Keyring {
    return new Keyring(new Map([[1, { term: 1, key: randomBytes(32), installTime: now }]]), 1);
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
    next.set(term, { term, key: randomBytes(32), installTime: now });
    return new Keyring(next, term);
  }

  serialize(): Buffer {
    const terms = [...this.terms.values()].map((t) => ({
      term: t.term,
      key: t.key.toString('base64'),
      install_time: t.installTime,
    }));
    return Buffer.from(JSON.stringify({ active: this.active, terms }));
  }

  static deserialize(bytes: Uint8Array): Keyring {
    const raw = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      active: number;
      terms: { term: number; key: string; install_time: number }[];
    };
    const terms = new Map(
      raw.terms.map((t) => [
        t.term,
        { term: t.term, key: Buffer.from(t.key, 'base64'), installTime: t.install_time },
      ]),
    );
    // A keyring without its active term or with a short key would fail every later write instead of
    // the unseal: refuse it here (the message carries no key bytes).
    const valid = [...terms.values()].every((t) => Number.isInteger(t.term) && t.key.length === 32);
    if (!valid || !terms.has(raw.active)) {
      for (const t of terms.values()) t.key.fill(0);
      throw new Error('malformed keyring');
    }
    return new Keyring(terms, raw.active);
  }

  /** Overwrites key bytes so a sealed process holds no usable key material. */
  wipe(): void {
    for (const term of this.terms.values()) term.key.fill(0);
  }
}
