/**
 * `rate_limit_exempt_paths`, matched as Vault's path manager matches them: the longest listed prefix
 * of the request path decides (a trailing `*` changes nothing, every entry is a prefix), and an entry
 * starting with `!` makes its prefix an exception that is limited again.
 */

/** Vault's defaults: health and seal checks, and the root and recovery token generation steps. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = [
  'sys/generate-recovery-token/attempt',
  'sys/generate-recovery-token/update',
  'sys/generate-root/attempt',
  'sys/generate-root/update',
  'sys/health',
  'sys/seal-status',
  'sys/unseal',
];

interface Entry {
  prefix: string;
  exempt: boolean;
}

export class ExemptPaths {
  /** Longest prefix first, so the first match is the longest. */
  private readonly entries: Entry[];

  constructor(paths: readonly string[]) {
    const byPrefix = new Map<string, boolean>();
    for (const raw of paths) {
      const exception = raw.startsWith('!');
      const prefix = (exception ? raw.slice(1) : raw).replace(/\*$/, '');
      if (raw !== '') byPrefix.set(prefix, !exception);
    }
    this.entries = [...byPrefix]
      .map(([prefix, exempt]) => ({ prefix, exempt }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  has(path: string): boolean {
    for (const entry of this.entries) if (path.startsWith(entry.prefix)) return entry.exempt;
    return false;
  }
}
