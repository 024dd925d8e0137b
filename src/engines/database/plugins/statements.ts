/**
 * How SQL plugins read a role's statements, as Vault's do: each entry may be base64, a JSON array or
 * a `;`-separated list, and `{{name}}`-style placeholders are replaced verbatim (no quoting).
 */
import { isStrictBase64 } from '../../../framework/strict-base64.js';

/** One role entry as Vault's strutil.ParseArbitraryStringSlice(entry, ";") reads it. */
function parseEntry(entry: string): string[] {
  let input = entry.trim();
  if (input === '') return [];
  // Go's base64.StdEncoding.DecodeString is strict; Buffer's decoder is not, so check the shape first.
  if (isStrictBase64(input)) input = Buffer.from(input, 'base64').toString('utf8');
  // Only a JSON array can be the list, so a plain statement skips the parse, whose thrown SyntaxError
  // cost ~8 us of every credential issued. trimStart removes at least the whitespace JSON allows.
  if (input.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(input);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    } catch {
      // not JSON: a separated list
    }
  }
  return input.split(';');
}

/** The single statements to run, in order, with blanks dropped. */
export function splitStatements(entries: readonly string[]): string[] {
  return entries
    .flatMap(parseEntry)
    .map((query) => query.trim())
    .filter((query) => query !== '');
}

/** Vault's dbutil.QueryHelper: every `{{key}}` becomes its value, as-is. */
export function renderVerbatim(statement: string, values: Readonly<Record<string, string>>): string {
  let out = statement;
  for (const [key, value] of Object.entries(values)) out = out.replaceAll(`{{${key}}}`, value);
  return out;
}

/** `{{expiration}}` as Vault writes it into SQL (Go layout `2006-01-02 15:04:05-0700`), in UTC. */
export function formatSqlExpiration(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}+0000`;
}
