/**
 * The lexer of the template language Vault Agent renders: Go's `text/template` (which consul-template
 * extends with functions). No maintained npm package implements Go's text/template faithfully (trim
 * markers, variable scoping, missing-key rules, Go's value printing), so Coffer carries a small
 * lexer, parser and evaluator of its own: this file, parser.ts and execute.ts.
 */

export class TemplateParseError extends Error {
  constructor(name: string, line: number, message: string) {
    // Go's form: `template: NAME:LINE: message`. Never includes template text, which may hold secrets.
    super(`template: ${name}:${line}: ${message}`);
    this.name = 'TemplateParseError';
  }
}

export type TokenKind =
  | 'string'
  | 'number'
  | 'ident'
  | 'field'
  | 'dot'
  | 'variable'
  | 'declare'
  | 'assign'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'comma';

export interface Token {
  kind: TokenKind;
  /** Identifier, field name (without the dot), variable name (with `$`), or a literal's value. */
  text: string;
  /** True when whitespace came before the token: `$x.y` is a chain, `$x .y` two arguments. */
  spaced: boolean;
  line: number;
}

/** One piece of a template: literal text, or the tokens of one `{{ … }}` action. */
export type Item =
  | { kind: 'text'; text: string; line: number }
  | { kind: 'action'; tokens: Token[]; line: number };

export interface Delimiters {
  left: string;
  right: string;
}

const TRIM = /[ \t\r\n]/;

function isTrimLeft(source: string, at: number): boolean {
  return source[at] === '-' && TRIM.test(source[at + 1] ?? '');
}

/** Where the last call left off: the lexer asks in increasing order, so counting resumes there (not O(n²)). */
let lastLine = { source: '', offset: 0, line: 1 };

function lineAt(source: string, offset: number): number {
  const resume = lastLine.source === source && lastLine.offset <= offset;
  let line = resume ? lastLine.line : 1;
  for (let i = resume ? lastLine.offset : 0; i < offset; i++) if (source.charCodeAt(i) === 10) line++;
  lastLine = { source, offset, line };
  return line;
}

/** Splits a template into text and actions, applying `{{-` and `-}}` trim markers and dropping comments. */
export function lex(name: string, source: string, delims: Delimiters): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos <= source.length) {
    const open = source.indexOf(delims.left, pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    trimNextText = false;
    if (open === -1) {
      if (text) items.push({ kind: 'text', text, line: lineAt(source, pos) });
      break;
    }
    let inner = open + delims.left.length;
    if (isTrimLeft(source, inner)) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner += 2;
    }
    if (text) items.push({ kind: 'text', text, line: lineAt(source, pos) });
    const line = lineAt(source, open);
    const { tokens, end, trimRight } = lexAction(name, source, inner, line, delims.right);
    if (tokens.length > 0) items.push({ kind: 'action', tokens, line });
    trimNextText = trimRight;
    pos = end;
  }
  return items;
}

interface ActionScan {
  tokens: Token[];
  /** Offset just after the right delimiter. */
  end: number;
  trimRight: boolean;
}

function closesHere(source: string, at: number, right: string): { trim: boolean; end: number } | undefined {
  if (source.startsWith(right, at)) return { trim: false, end: at + right.length };
  if (TRIM.test(source[at] ?? '') && source[at + 1] === '-' && source.startsWith(right, at + 2)) {
    return { trim: true, end: at + 2 + right.length };
  }
  return undefined;
}

function lexAction(name: string, source: string, start: number, line: number, right: string): ActionScan {
  const tokens: Token[] = [];
  let pos = start;
  let spaced = true;
  const fail = (message: string): never => {
    throw new TemplateParseError(name, lineAt(source, pos), message);
  };
  const trimmed = source.slice(pos).match(/^[ \t\r\n]*/)![0].length;
  if (source.startsWith('/*', pos + trimmed)) return lexComment(name, source, pos + trimmed, right);
  for (;;) {
    if (pos >= source.length) fail('unclosed action');
    const close = closesHere(source, pos, right);
    if (close) return { tokens, end: close.end, trimRight: close.trim };
    const ch = source[pos];
    if (TRIM.test(ch)) {
      pos++;
      spaced = true;
      continue;
    }
    const scanned = scanToken(source, pos, fail);
    tokens.push({ ...scanned.token, spaced, line: lineAt(source, pos) || line });
    pos = scanned.end;
    spaced = false;
  }
}

function lexComment(name: string, source: string, start: number, right: string): ActionScan {
  const end = source.indexOf('*/', start + 2);
  if (end === -1) throw new TemplateParseError(name, lineAt(source, start), 'unclosed comment');
  const close = closesHere(source, end + 2, right);
  if (!close)
    throw new TemplateParseError(name, lineAt(source, end), 'comment ends before closing delimiter');
  return { tokens: [], end: close.end, trimRight: close.trim };
}

type Scanned = { token: Omit<Token, 'spaced' | 'line'>; end: number };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const NUMBER = /^[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)/;
const PUNCT: Record<string, TokenKind> = {
  '|': 'pipe',
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  '=': 'assign',
};

function scanToken(source: string, pos: number, fail: (message: string) => never): Scanned {
  const rest = source.slice(pos, pos + 4096);
  const ch = source[pos];
  if (ch === '"') return scanQuoted(source, pos, fail);
  if (ch === '`') {
    const end = source.indexOf('`', pos + 1);
    if (end === -1) fail('unterminated raw quoted string');
    return { token: { kind: 'string', text: source.slice(pos + 1, end) }, end: end + 1 };
  }
  if (rest.startsWith(':=')) return { token: { kind: 'declare', text: ':=' }, end: pos + 2 };
  if (PUNCT[ch]) return { token: { kind: PUNCT[ch], text: ch }, end: pos + 1 };
  if (ch === '$') {
    const ident = IDENT.exec(rest.slice(1));
    const text = `$${ident?.[0] ?? ''}`;
    return { token: { kind: 'variable', text }, end: pos + text.length };
  }
  if (ch === '.' && !/\d/.test(rest[1] ?? '')) {
    const ident = IDENT.exec(rest.slice(1));
    if (!ident) return { token: { kind: 'dot', text: '.' }, end: pos + 1 };
    return { token: { kind: 'field', text: ident[0] }, end: pos + 1 + ident[0].length };
  }
  const number = NUMBER.exec(rest);
  if (number && /[\d.+-]/.test(ch))
    return { token: { kind: 'number', text: number[0] }, end: pos + number[0].length };
  const ident = IDENT.exec(rest);
  if (ident) return { token: { kind: 'ident', text: ident[0] }, end: pos + ident[0].length };
  return fail(`unexpected character in action: ${JSON.stringify(ch)}`);
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

function scanQuoted(source: string, pos: number, fail: (message: string) => never): Scanned {
  let out = '';
  let i = pos + 1;
  for (;;) {
    const ch = source[i];
    if (ch === undefined || ch === '\n') fail('unterminated quoted string');
    if (ch === '"') return { token: { kind: 'string', text: out }, end: i + 1 };
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const next = source[i + 1];
    if (next in ESCAPES) {
      out += ESCAPES[next];
      i += 2;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const size = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = source.slice(i + 2, i + 2 + size);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== size) fail('invalid escape in quoted string');
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 2 + size;
    } else {
      fail('invalid escape in quoted string');
    }
  }
}
