/** Policy HCL at the token level: the HCL1 single-line-block rewrite and the `policy fmt` printer. */
import type { Capability, PathRule, Policy } from './parse.js';

type Kind = 'word' | 'string' | 'comment' | 'newline' | 'open' | 'close' | 'equals' | 'comma';

interface Token {
  kind: Kind;
  text: string;
  /** Offset of the token in the text. */
  start: number;
}

const PUNCT: Record<string, Kind> = {
  '{': 'open',
  '[': 'open',
  '(': 'open',
  '}': 'close',
  ']': 'close',
  ')': 'close',
  '=': 'equals',
  ':': 'equals',
  ',': 'comma',
};

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

function endOfHeredoc(text: string, start: number): number {
  const marker = /^<<-?([A-Za-z_][\w-]*)[^\n]*\n/.exec(text.slice(start));
  if (!marker) return start + 2;
  const close = new RegExp(`^[ \\t]*${marker[1]}[ \\t]*$`, 'm');
  const body = text.slice(start + marker[0].length);
  const found = close.exec(body);
  return found ? start + marker[0].length + found.index + found[0].length : text.length;
}

/** Splits HCL into tokens, keeping comments, strings and heredocs whole so their text is never touched. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    let end = i + 1;
    let kind: Kind;
    if (c === '\n') kind = 'newline';
    else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    } else if (c === '#' || text.startsWith('//', i)) {
      kind = 'comment';
      end = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    } else if (text.startsWith('/*', i)) {
      kind = 'comment';
      end = text.indexOf('*/', i + 2) < 0 ? text.length : text.indexOf('*/', i + 2) + 2;
    } else if (c === '"') {
      kind = 'string';
      end = endOfString(text, i);
    } else if (text.startsWith('<<', i)) {
      kind = 'string';
      end = endOfHeredoc(text, i);
    } else if (PUNCT[c]) kind = PUNCT[c];
    else {
      kind = 'word';
      while (end < text.length && !/[\s{}[\]()=:,"#]/.test(text[end])) end++;
    }
    tokens.push({ kind, text: text.slice(i, end), start: i });
    i = end;
  }
  return tokens;
}

/**
 * The literal text of each string holding `${` or `%{`. Vault parses policies with HCL1, which has no
 * templates: there `"re${"a"}d"` is that text, while HCL2 evaluates it to `read`. A heredoc gives its whole
 * source, which no parsed value equals.
 */
export function templatedStrings(text: string): string[] {
  return tokenize(text)
    .filter((t) => t.kind === 'string' && /[$%]\{/.test(t.text))
    .map((t) => {
      try {
        return JSON.parse(t.text) as string;
      } catch {
        return t.text;
      }
    });
}

/** A key, a number, true, false or null: anything else outside strings is an HCL2 expression. */
const LITERAL_WORD = /^(?:[A-Za-z_][\w-]*|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)$/;

/**
 * The first HCL2 expression (`"" + "k"`, `f(x)`, `a.b`) outside strings and comments. HCL1 has none and
 * Vault refuses them; HCL2 would hand back their source as a `${…}` string, a key or value that matches
 * nothing, so a `denied_parameters` entry written that way would deny nothing.
 */
export function firstExpression(text: string): string | undefined {
  return tokenize(text).find(
    (t) => (t.kind === 'word' && !LITERAL_WORD.test(t.text)) || t.text === '(' || t.text === ')',
  )?.text;
}

const isValue = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'string');

/**
 * Vault parses policies with HCL1, which accepts `path "a" { capabilities = ["read"], policy = "write" }`;
 * HCL2 rejects a one-line block with two attributes. This puts each attribute of a block (a `{` after a
 * label, not after `=`) on its own line; object literals keep their commas.
 */
export function splitBlockAttributes(text: string): string {
  const stack: boolean[] = [];
  let out = '';
  let previous: Token | undefined;
  const tokens = tokenize(text);
  tokens.forEach((token, index) => {
    let piece = token.text;
    // HCL1 also takes attributes separated by spaces alone (`{ a = ["x"] b = "y" }`, in a block or an
    // object): a key that follows a finished value starts a line of its own, which HCL2 reads the same.
    if (startsAttribute(token, tokens[index + 1], previous) && !out.endsWith('\n')) out += '\n';
    if (token.kind === 'open') {
      const block = token.text === '{' && isValue(previous);
      stack.push(block);
      if (block) piece = '{\n';
    } else if (token.kind === 'close') {
      if (stack.pop()) piece = '\n}';
    } else if (token.kind === 'comma' && stack.at(-1)) piece = '\n';
    if (token.kind === 'newline') out += '\n';
    else out += out === '' || out.endsWith('\n') ? piece : ` ${piece}`;
    if (token.kind !== 'newline' && token.kind !== 'comment') previous = token;
  });
  return out;
}

/** A key (`name =`) right after the end of a value (a word, a string or a closing bracket). */
function startsAttribute(token: Token, next: Token | undefined, previous: Token | undefined): boolean {
  if (!isValue(token) || next?.kind !== 'equals') return false;
  return previous !== undefined && (isValue(previous) || previous.kind === 'close');
}

/** Whether a space goes between two tokens on one line (`path "a" {`, `["a", "b"]`, `{ k = v }`). */
function spaced(left: Token, right: Token): boolean {
  if (right.kind === 'comma') return false;
  if (right.kind === 'comment' || left.kind === 'comma' || left.kind === 'equals' || right.kind === 'equals')
    return true;
  if (left.kind === 'open') return left.text === '{' && right.kind !== 'close';
  if (right.kind === 'close') return right.text === '}';
  return right.kind !== 'open' || right.text === '{';
}

function renderLine(tokens: Token[], keyWidth: number): string {
  let out = '';
  tokens.forEach((token, index) => {
    if (index > 0) out += spaced(tokens[index - 1], token) ? ' ' : '';
    out += token.text;
    if (index === 0 && keyWidth > 0) out += ' '.repeat(keyWidth - token.text.length);
  });
  return out;
}

interface Line {
  depth: number;
  tokens: Token[];
  /** Width of the key when the line is a one-line `key = value`, for aligning the `=` of neighbours. */
  key: number;
}

function splitLines(tokens: Token[]): Line[] {
  const lines: Line[] = [];
  let depth = 0;
  let current: Token[] = [];
  const flush = () => {
    const leadingCloses = current.findIndex((t) => t.kind !== 'close');
    const closes = leadingCloses < 0 ? current.length : leadingCloses;
    const opens = current.filter((t) => t.kind === 'open').length;
    const net = opens - current.filter((t) => t.kind === 'close').length;
    const oneLine = net === 0 && current[1]?.kind === 'equals' && isValue(current[0]);
    lines.push({
      depth: Math.max(0, depth - closes),
      tokens: current,
      key: oneLine ? current[0].text.length : 0,
    });
    depth = Math.max(0, depth + net);
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'newline') flush();
    else current.push(token);
  }
  flush();
  return lines;
}

/** `policy fmt` for HCL: two-space indent, `=` aligned in runs of attributes, comments kept, one blank line max. */
export function reformatHcl(text: string): string {
  const lines = splitLines(tokenize(text));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.tokens.length === 0) {
      // One blank line at most, and none just inside a block's braces.
      if (out.length > 0 && out.at(-1) !== '' && !/[{[(]$/.test(out.at(-1)!)) out.push('');
      continue;
    }
    if (line.tokens[0].kind === 'close' && out.at(-1) === '') out.pop();
    let width = 0;
    if (line.key > 0) {
      // Align with the neighbours that are also one-line attributes at this depth, as hclwrite does.
      let start = i;
      while (start > 0 && lines[start - 1].key > 0 && lines[start - 1].depth === line.depth) start--;
      for (let j = start; j < lines.length && lines[j].key > 0 && lines[j].depth === line.depth; j++)
        width = Math.max(width, lines[j].key);
    }
    out.push(('  '.repeat(line.depth) + renderLine(line.tokens, width)).trimEnd());
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

const quote = (value: unknown) => JSON.stringify(value);

function printValues(name: string, values: Record<string, unknown[]> | undefined): string[] {
  if (!values) return [];
  const keys = Object.keys(values);
  const width = Math.max(0, ...keys.map((k) => quote(k).length));
  const body = keys.map((k) => `    ${quote(k).padEnd(width)} = [${values[k].map(quote).join(', ')}]`);
  return [`  ${name} = {`, ...body, '  }'];
}

function printRule(rule: PathRule, order: readonly Capability[]): string {
  const caps = order.filter((c) => rule.capabilities.has(c));
  const lines = [`  capabilities = [${caps.map(quote).join(', ')}]`];
  lines.push(...printValues('allowed_parameters', rule.allowedParameters));
  lines.push(...printValues('denied_parameters', rule.deniedParameters));
  if (rule.requiredParameters)
    lines.push(`  required_parameters = [${rule.requiredParameters.map(quote).join(', ')}]`);
  if (rule.minWrappingTtl) lines.push(`  min_wrapping_ttl = "${rule.minWrappingTtl}s"`);
  if (rule.maxWrappingTtl) lines.push(`  max_wrapping_ttl = "${rule.maxWrappingTtl}s"`);
  return `path ${quote(rule.pattern)} {\n${lines.join('\n')}\n}\n`;
}

/** A parsed policy printed as HCL (used for JSON input, which has no comments to keep). */
export function printPolicy(policy: Policy, order: readonly Capability[]): string {
  return policy.rules.map((rule) => printRule(rule, order)).join('\n');
}
