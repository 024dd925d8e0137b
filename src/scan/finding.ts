/** A finding, and the two ways it is shown without the secret: a redaction and a fingerprint. */
import { createHash } from 'node:crypto';
import type { Severity } from './rules.js';

export interface Finding {
  rule: string;
  description: string;
  severity: Severity;
  file: string;
  line: number;
  /** 1-based column where the secret starts. */
  column: number;
  /** Set for findings in git history. */
  commit?: string;
  /** Author date of the commit, ISO 8601. */
  date?: string;
  fingerprint: string;
  redacted: string;
}

/** A match before it is placed in a file: what the detector hands on. */
export interface Match {
  ruleId: string;
  column: number;
  secret: string;
}

/**
 * At most four leading characters and the length. A short secret shows less, so that no more than a
 * quarter of it is ever printed.
 */
export function redact(secret: string): string {
  const shown = Math.min(4, Math.floor(secret.length / 4));
  return `${secret.slice(0, shown)}…(${secret.length} chars)`;
}

/** Stable across runs and machines, so a finding can be baselined in `.coffer-scan-ignore`. */
export function fingerprint(file: string, rule: string, secret: string): string {
  return createHash('sha256').update(`${file}:${rule}:${secret}`).digest('hex').slice(0, 16);
}
