/**
 * Fills `{{name}}`, `{{username}}`, `{{password}}` and `{{expiration}}` in operator-written SQL.
 * Each value is escaped for the quoting context its placeholder stands in (`'…'`, `"…"` or bare),
 * so a display name or role name with a quote in it cannot end the literal and inject SQL
 * (the class of bug in CVE-2026-39946).
 */

/** How a placeholder outside any quotes is written: as an identifier or as a string literal. */
export interface BareQuoting {
  identifier(value: string): string;
  literal(value: string): string;
}

const IDENTIFIER_KEYS = new Set(['name', 'username']);
const PLACEHOLDER = /^\{\{\s*([a-z_]+)\s*\}\}/;

export const ansiQuoting: BareQuoting = {
  identifier: (value) => `"${value.replaceAll('"', '""')}"`,
  literal: (value) => `'${value.replaceAll("'", "''")}'`,
};

export function renderStatement(
  statement: string,
  values: Record<string, string>,
  bare: BareQuoting = ansiQuoting,
): string {
  let out = '';
  let quote: "'" | '"' | undefined;
  let i = 0;
  while (i < statement.length) {
    const char = statement[i];
    const placeholder = char === '{' ? PLACEHOLDER.exec(statement.slice(i)) : null;
    // Own keys only: `{{constructor}}` must stay text, not reach Object.prototype.
    if (placeholder && Object.hasOwn(values, placeholder[1]) && values[placeholder[1]] !== undefined) {
      const value = values[placeholder[1]];
      if (quote) out += value.replaceAll(quote, quote + quote);
      else out += IDENTIFIER_KEYS.has(placeholder[1]) ? bare.identifier(value) : bare.literal(value);
      i += placeholder[0].length;
      continue;
    }
    if (char === "'" || char === '"') {
      if (quote === undefined) quote = char;
      else if (quote === char && statement[i + 1] === char) {
        out += char; // a doubled quote stays inside the literal
        i++;
      } else if (quote === char) quote = undefined;
    }
    out += char;
    i++;
  }
  return out;
}

/** Drops empty entries so `["", "  "]` counts as "no statements" (the plugin's default then applies). */
export function nonEmpty(statements: readonly string[] | undefined): string[] {
  return (statements ?? []).filter((s) => s.trim() !== '');
}
