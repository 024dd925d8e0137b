/**
 * Vault's agent reads its config with HCL 1, whose integers go through Go's base-0 parsing: `mode = 0640`
 * is octal (416) and `mode = 416` decimal, the same mode. Coffer's parser is HCL 2, which drops the
 * leading zero (`0640` becomes 640), so before parsing, each `mode` attribute written as a number with a
 * leading zero is rewritten to its decimal value. Strings, heredocs and comments are left as they are.
 */
import { invalid } from '../core/errors.js';

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;
const HEREDOC = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/;
const ASSIGNED_NUMBER = /^[ \t]*[=:](?!=)[ \t]*(0[0-9]+)(?![0-9.eE_A-Za-z])/;

/** The index after a quoted string that opens at `start`; a string ends at its line's end at the latest. */
function skipString(source: string, start: number): number {
  let j = start + 1;
  while (j < source.length && source[j] !== '"' && source[j] !== '\n') {
    if (source[j] === '\\') j += 2;
    else if ((source[j] === '$' || source[j] === '%') && source[j + 1] === '{')
      j = skipTemplate(source, j + 2);
    else j++;
  }
  return source[j] === '"' ? j + 1 : j;
}

/** The index after a `${ … }` or `%{ … }` sequence, from just inside its brace, strings inside it included. */
function skipTemplate(source: string, start: number): number {
  let depth = 1;
  let j = start;
  while (j < source.length && depth > 0) {
    const c = source[j];
    if (c === '"') {
      j = skipString(source, j);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    j++;
  }
  return j;
}

/** The index after a heredoc's closing marker line (HCL 2 takes the marker indented, with `<<` or `<<-`). */
function skipHeredoc(source: string, start: number): number {
  const opening = HEREDOC.exec(source.slice(start, start + 300));
  if (!opening) return start + 2;
  let j = start + opening[0].length;
  for (;;) {
    const end = source.indexOf('\n', j);
    if (end === -1) return source.length;
    if (source.slice(j, end).trim() === opening[1]) return end;
    j = end + 1;
  }
}

/** The index after a comment that opens at `start`, or `start` when none does. */
function skipComment(source: string, start: number): number {
  const c = source[start];
  const next = source[start + 1];
  if (c === '#' || (c === '/' && next === '/')) {
    const end = source.indexOf('\n', start);
    return end === -1 ? source.length : end;
  }
  if (c === '/' && next === '*') {
    const end = source.indexOf('*/', start + 2);
    return end === -1 ? source.length : end + 2;
  }
  return start;
}

function previousNonSpace(source: string, index: number): string | undefined {
  let back = index - 1;
  while (back >= 0 && /\s/.test(source[back])) back--;
  return source[back];
}

/** `mode = 0640` (or `mode: 0640` in an object) becomes `mode = 416`; everything else is kept byte for byte. */
export function octalModeLiterals(source: string, attribute = 'mode'): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const afterComment = skipComment(source, i);
    if (afterComment !== i) {
      i = afterComment;
    } else if (c === '"') {
      i = skipString(source, i);
    } else if (c === '<' && source[i + 1] === '<') {
      i = skipHeredoc(source, i);
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < source.length && IDENT_PART.test(source[j])) j++;
      const isAttribute = source.slice(i, j) === attribute && previousNonSpace(source, i) !== '.';
      const assigned = isAttribute ? ASSIGNED_NUMBER.exec(source.slice(j, j + 80)) : null;
      i = j;
      if (!assigned) continue;
      const digits = assigned[1];
      if (!/^[0-7]+$/.test(digits))
        throw invalid(`${attribute} = ${digits}: not an octal number (a leading 0 makes it octal)`);
      const at = j + assigned[0].length - digits.length;
      out += source.slice(copied, at) + String(Number.parseInt(digits, 8));
      copied = at + digits.length;
      i = copied;
    } else {
      i++;
    }
  }
  return out + source.slice(copied);
}
