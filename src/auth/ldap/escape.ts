/**
 * Escaping of caller-chosen text (a login name, a DN read from the directory) before it goes into
 * an LDAP search filter (RFC 4515) or a distinguished name (RFC 4514), and the `{{.Name}}` templates
 * of the `userfilter` and `groupfilter` settings. Without it a name such as `*)(uid=*` widens a search
 * and `a,ou=admins` moves a bind DN (GHSA-6mwx-4547-5vc9).
 */
import { invalid } from '../../core/errors.js';

const hex = (char: string) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, hex);
}

/**
 * RFC 4514 §2.4: the specials `" + , ; < > \` and `=` anywhere (`=` as Active Directory wants it),
 * `#` and a space at the start, a space at the end, and NUL as `\00`.
 */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/["+,;<>\\=]/g, (char) => `\\${char}`).replace(/\0/g, '\\00');
  if (escaped.endsWith(' ')) escaped = `${escaped.slice(0, -1)}\\ `;
  if (escaped.startsWith(' ') || escaped.startsWith('#')) escaped = `\\${escaped}`;
  return escaped;
}

const PLACEHOLDER = /\{\{\s*\.([A-Za-z]+)\s*\}\}/g;

/**
 * Checks a filter template (Vault's Go template, reduced to `{{.Name}}` placeholders): only the
 * names in `allowed` may appear, and no other `{{` construct.
 */
export function validateTemplate(template: string, allowed: readonly string[], setting: string): void {
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!allowed.includes(match[1])) throw invalid(`invalid ${setting}: unknown field "${match[1]}"`);
  }
  if (template.replace(PLACEHOLDER, '').includes('{{')) {
    throw invalid(`invalid ${setting}: only {{.${allowed.join('}}, {{.')}}} may be used`);
  }
}

/** Fills a validated template; every value is filter-escaped here, so callers pass raw text. */
export function renderFilter(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => escapeFilterValue(values[name] ?? ''));
}

/**
 * The group name in a DN: the value of its first `cn` RDN (`cn=dev,ou=groups,…` → `dev`), or the
 * text itself when it is no DN or has no `cn`, as Vault's getCN does.
 */
export function commonName(dn: string): string {
  const rdns = splitDn(dn);
  if (!rdns) return dn;
  for (const rdn of rdns) {
    for (const part of splitUnescaped(rdn, '+')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === 'cn')
        return unescapeDnValue(part.slice(eq + 1));
    }
  }
  return dn;
}

function splitDn(dn: string): string[] | undefined {
  const rdns = splitUnescaped(dn, ',');
  return rdns.every((rdn) => /^\s*[A-Za-z][\w-]*\s*=/.test(rdn) || /^\s*\d+(\.\d+)*\s*=/.test(rdn))
    ? rdns
    : undefined;
}

/** Splits on `separator` where it is not escaped by a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      current += char + text[i + 1];
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/** Undoes RFC 4514 escapes: `\,` → `,` and `\2c` (hex pairs, UTF-8) → the bytes they name. */
function unescapeDnValue(value: string): string {
  const bytes: number[] = [];
  const text = value.trim();
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char === '\\' && i + 1 < text.length) {
      bytes.push(...Buffer.from(text[i + 1]));
      i++;
    } else {
      bytes.push(...Buffer.from(char));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
