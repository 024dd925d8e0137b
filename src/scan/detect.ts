/** Runs the rules over lines of text, one line at a time, carrying only an open key block between lines. */
import { shannonEntropy } from './entropy.js';
import type { Match } from './finding.js';
import {
  ENCRYPTED_KEY_RULE,
  keyBegin,
  keyContinue,
  type PendingKey,
  PRIVATE_KEY_RULE,
} from './private-key.js';
import { RULES, type Rule } from './rules.js';
import { keyListEntry, opensKeyList } from './unseal-keys.js';

/** A comment with this text on a line silences every finding on that line. */
export const ALLOW_MARKER = 'coffer-scan:allow';

export const ALL_RULES: Rule[] = [...RULES, PRIVATE_KEY_RULE, ENCRYPTED_KEY_RULE];
const BY_ID = new Map(ALL_RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`unknown rule ${id}`);
  return rule;
}

export interface LineMatch extends Match {
  line: number;
}

function overlaps(found: Match[], column: number, length: number): boolean {
  return found.some((f) => column < f.column + f.secret.length && f.column < column + length);
}

/** The single-line rules that apply to a file (all but the file-specific ones when the path is unknown). */
export function rulesFor(file?: string): Rule[] {
  return RULES.filter((rule) => !rule.files || (file !== undefined && rule.files.test(file)));
}

const CODE_RULES = rulesFor();

/** The single-line rules' matches on one line; earlier (more specific) rules win where matches overlap. */
export function matchLine(text: string, rules: Rule[] = CODE_RULES): Match[] {
  if (text.includes(ALLOW_MARKER)) return [];
  const lower = text.toLowerCase();
  const found: Match[] = [];
  for (const rule of rules) {
    if (rule.keywords && !rule.keywords.some((k) => lower.includes(k))) continue;
    for (const m of text.matchAll(rule.pattern)) {
      const secret = m.groups?.secret ?? m[0];
      if (rule.allow?.test(secret)) continue;
      if (rule.minEntropy !== undefined && shannonEntropy(secret) < rule.minEntropy) continue;
      if (rule.verify && !rule.verify(secret)) continue;
      const column = m.index + m[0].lastIndexOf(secret) + 1;
      if (overlaps(found, column, secret.length)) continue;
      found.push({ ruleId: rule.id, column, secret });
    }
  }
  return found;
}

/** Detection over consecutive lines of one file or one diff hunk; call `end()` when they stop. */
export class LineDetector {
  private pending: PendingKey | undefined;
  private inKeyList = false;
  private readonly rules: Rule[];

  /** `file` chooses the rules that apply to its format. */
  constructor(file?: string) {
    this.rules = rulesFor(file);
  }

  line(text: string, line: number): LineMatch[] {
    if (this.inKeyList) {
      const entry = keyListEntry(text);
      if (entry !== 'end') return text.includes(ALLOW_MARKER) ? [] : [{ ...entry, line }];
      this.inKeyList = false;
    }
    const found: LineMatch[] = matchLine(text, this.rules).map((m) => ({ ...m, line }));
    if (opensKeyList(text)) this.inKeyList = true;
    const pending = this.pending;
    if (pending) {
      const key = keyContinue(pending, text);
      if (key === undefined) {
        // Only armour headers so far: keep waiting, but not for ever.
        pending.linesLeft -= 1;
        if (pending.linesLeft <= 0) this.pending = undefined;
      } else {
        this.pending = undefined;
        if (key !== 'drop') found.push(key);
      }
      return found;
    }
    if (!text.includes('PRIVATE KEY') || text.includes(ALLOW_MARKER)) return found;
    const begin = keyBegin(text, line);
    if (!begin) return found;
    const key = keyContinue(begin.pending, begin.rest);
    if (key === undefined) this.pending = begin.pending;
    else if (key !== 'drop') found.push(key);
    return found;
  }

  end(): void {
    this.pending = undefined;
    this.inKeyList = false;
  }
}
