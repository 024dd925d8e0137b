/**
 * Private key blocks (PEM and PGP armour), which span lines: the BEGIN line alone is not reported, because
 * source code that handles keys names it as a constant. A key is reported once a body line follows.
 */
import type { Rule } from './rules.js';

export const PRIVATE_KEY_RULE: Rule = {
  id: 'private-key',
  description: 'Private key (unencrypted)',
  pattern: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----/g,
  keywords: ['private key'],
  severity: 'high',
};

/** Lower severity: it still needs its passphrase, but the passphrase may be guessable or nearby. */
export const ENCRYPTED_KEY_RULE: Rule = {
  id: 'private-key-encrypted',
  description: 'Private key (encrypted with a passphrase)',
  pattern: PRIVATE_KEY_RULE.pattern,
  severity: 'low',
};

/** A key block whose body has not been seen yet. */
export interface PendingKey {
  line: number;
  column: number;
  kind: string;
  encrypted: boolean;
  linesLeft: number;
}

export interface KeyMatch {
  ruleId: string;
  line: number;
  column: number;
  /** The first body line: different keys get different fingerprints. */
  secret: string;
}

/** How many lines of armour headers (`Proc-Type:`, `Version:`, blank) may sit between BEGIN and the body. */
const MAX_HEADER_LINES = 6;
const BODY = /^[A-Za-z0-9+/]{20,}={0,2}$/;
const HEADER = /^[A-Za-z-]+:/;

/** An OpenSSH key names its cipher inside the base64 body: `openssh-key-v1\0`, a length, the cipher name. */
function opensshEncrypted(body: string): boolean {
  const bytes = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (bytes.subarray(0, magic.length).toString('latin1') !== magic || bytes.length < magic.length + 4) {
    return false;
  }
  const length = bytes.readUInt32BE(magic.length);
  const cipher = bytes.subarray(magic.length + 4, magic.length + 4 + length).toString('latin1');
  return cipher !== 'none';
}

export function keyBegin(text: string, line: number): { pending: PendingKey; rest: string } | undefined {
  const pattern = new RegExp(PRIVATE_KEY_RULE.pattern.source);
  const m = pattern.exec(text);
  if (!m) return undefined;
  const kind = m[1];
  return {
    pending: {
      line,
      column: m.index + 1,
      kind,
      encrypted: kind.startsWith('ENCRYPTED'),
      linesLeft: MAX_HEADER_LINES,
    },
    rest: text.slice(m.index + m[0].length),
  };
}

/**
 * Feeds text that follows a BEGIN (the rest of its line, or a later line). Answers the match once a body
 * is seen, `'drop'` when the block ended or never showed a body, `undefined` to keep waiting.
 */
export function keyContinue(pending: PendingKey, text: string): KeyMatch | 'drop' | undefined {
  // A key inside a JSON or JS string is one line with `\n` escapes.
  for (const segment of text.split(/\\r|\\n|\r|\n/)) {
    const part = segment.trim().replace(/^["'`,+\s]+|["'`,+\s]+$/g, '');
    if (part === '') continue;
    if (part.startsWith('-----END')) return 'drop';
    if (HEADER.test(part)) {
      if (/^Proc-Type:.*ENCRYPTED/i.test(part)) pending.encrypted = true;
      continue;
    }
    if (!BODY.test(part)) return 'drop';
    const encrypted = pending.encrypted || (pending.kind === 'OPENSSH PRIVATE KEY' && opensshEncrypted(part));
    return {
      ruleId: encrypted ? ENCRYPTED_KEY_RULE.id : PRIVATE_KEY_RULE.id,
      line: pending.line,
      column: pending.column,
      secret: part,
    };
  }
  return undefined;
}
