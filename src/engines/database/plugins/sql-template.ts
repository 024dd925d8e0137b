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
  // Inside a PostgreSQL E'…' string a backslash escapes the next character, so values double theirs.
  let backslashEscapes = false;
  let i = 0;
  while (i < statement.length) {
    const char = statement[i];
    if (!quote) {
      // Comments are copied as written: a quote in `-- don't` must not flip the quoting state, and a
      // placeholder in a comment runs nothing, so it is left alone.
      const end = commentEnd(statement, i);
      if (end > i) {
        out += statement.slice(i, end);
        i = end;
        continue;
      }
    }
    const placeholder = char === '{' ? placeholderAt(statement, i, values) : undefined;
    if (placeholder) {
      const { key, value } = placeholder;
      if (quote) out += insideQuotes(value, quote, backslashEscapes);
      else out += IDENTIFIER_KEYS.has(key) ? bare.identifier(value) : bare.literal(value);
      i += placeholder.length;
      continue;
    }
    if (backslashEscapes && char === '\\') {
      out += statement.slice(i, i + 2); // the operator's own escape, quote included
      i += 2;
      continue;
    }
    if (char === "'" || char === '"') {
      if (quote === undefined) {
        quote = char;
        backslashEscapes = char === "'" && isEStringPrefix(statement, i);
      } else if (quote === char && statement[i + 1] === char) {
        out += char; // a doubled quote stays inside the literal
        i++;
      } else if (quote === char) quote = undefined;
    }
    out += char;
    i++;
  }
  return out;
}

/** The placeholder at `i` with its value, if it names one of `values`. */
function placeholderAt(statement: string, i: number, values: Record<string, string>) {
  const match = PLACEHOLDER.exec(statement.slice(i));
  // Own keys only: `{{constructor}}` must stay text, not reach Object.prototype.
  if (!match || !Object.hasOwn(values, match[1]) || values[match[1]] === undefined) return undefined;
  return { key: match[1], value: values[match[1]], length: match[0].length };
}

/** A value inside an open quote: the quote doubled, and in an E-string the backslash too. */
function insideQuotes(value: string, quote: string, backslashEscapes: boolean): string {
  const escaped = backslashEscapes ? value.replaceAll('\\', '\\\\') : value;
  return escaped.replaceAll(quote, quote + quote);
}

/** Where a comment starting at `i` ends (exclusive), or `i` when none starts there. */
function commentEnd(statement: string, i: number): number {
  if (statement.startsWith('--', i)) {
    const newline = statement.indexOf('\n', i);
    return newline === -1 ? statement.length : newline;
  }
  if (statement.startsWith('/*', i)) {
    const close = statement.indexOf('*/', i + 2);
    return close === -1 ? statement.length : close + 2;
  }
  return i;
}

/** `E'…'` (or `e'…'`) not as the tail of a longer word. */
function isEStringPrefix(statement: string, quoteAt: number): boolean {
  const before = statement[quoteAt - 1];
  return (before === 'E' || before === 'e') && !/[\w$]/.test(statement[quoteAt - 2] ?? '');
}
