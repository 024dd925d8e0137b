/** Turns detector matches into findings: places them, drops the allow-listed ones, hands the rest on. */
import type { LineMatch } from './detect.js';
import { ruleById } from './detect.js';
import { type Finding, fingerprint, redact } from './finding.js';
import { type IgnoreList, isIgnoredPath } from './ignore.js';

export interface ScanSink {
  finding(finding: Finding): void;
  /** A path or git failure: the scan goes on, and ends with exit code 2. */
  error(message: string): void;
}

/** Where a match sits: the path shown to the user and the root-relative path that baselines use. */
export interface Place {
  file: string;
  /** Relative to the scan root, `/`-separated: the same for every way the scan is invoked. */
  key: string;
  commit?: string;
  date?: string;
}

export class FindingCollector {
  files = 0;
  count = 0;

  constructor(
    private readonly ignore: IgnoreList,
    private readonly sink: ScanSink,
  ) {}

  /** False for a path the ignore file lists: its content is not read at all. */
  wants(key: string): boolean {
    return !isIgnoredPath(this.ignore, key);
  }

  add(place: Place, match: LineMatch): void {
    const rule = ruleById(match.ruleId);
    const print = fingerprint(place.key, rule.id, match.secret);
    if (this.ignore.fingerprints.has(print)) return;
    this.count += 1;
    this.sink.finding({
      rule: rule.id,
      description: rule.description,
      severity: rule.severity,
      file: place.file,
      line: match.line,
      column: match.column,
      ...(place.commit ? { commit: place.commit, date: place.date } : {}),
      fingerprint: print,
      redacted: redact(match.secret),
    });
  }

  error(message: string): void {
    this.sink.error(message);
  }
}
