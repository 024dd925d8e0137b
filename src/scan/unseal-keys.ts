/**
 * Unseal and recovery key shares inside pretty-printed JSON, as `coffer operator init -format=json` writes
 * them: the array opens on one line and each share sits on a line of its own.
 */
import type { Match } from './finding.js';

const LIST_START = /"(?:unseal|recovery)_keys(?:_b64|_hex)?"\s*:\s*\[\s*$/i;
/** A 32-byte key split by Shamir gives 33-byte shares: 44 base64 or 66 hex characters (and longer keys). */
const SHARE = /^(\s*")(?<secret>[A-Za-z0-9+/]{42,88}={0,2}|[0-9a-fA-F]{64,130})",?\s*$/;

export const UNSEAL_KEY_RULE_ID = 'coffer-unseal-key';

export function opensKeyList(text: string): boolean {
  return LIST_START.test(text);
}

/** One entry of an open list: a match, `'end'` when the list closes or changes shape. */
export function keyListEntry(text: string): Match | 'end' {
  const m = SHARE.exec(text);
  if (!m?.groups) return 'end';
  return { ruleId: UNSEAL_KEY_RULE_ID, column: m[1].length + 1, secret: m.groups.secret };
}
