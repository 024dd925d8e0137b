/** Parses lexed template items into a tree: Go text/template's actions, pipelines and control structures. */
import { type Delimiters, type Item, lex, TemplateParseError, type Token } from './lexer.js';

export type Operand =
  | { kind: 'dot' }
  | { kind: 'field'; names: string[] }
  | { kind: 'variable'; name: string; names: string[] }
  | { kind: 'function'; name: string }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'pipeline'; pipeline: Pipeline; names: string[] };

export interface Command {
  operands: Operand[];
}

export interface Pipeline {
  /** `$x :=` declares, `$x =` assigns; `range $k, $v :=` declares two. */
  variables: string[];
  assign: boolean;
  commands: Command[];
  line: number;
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipeline: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: 'break' | 'continue'; line: number };

export interface ParsedTemplate {
  name: string;
  nodes: Node[];
}

const DEFAULT_DELIMITERS: Delimiters = { left: '{{', right: '}}' };

/** Parses a template; errors are `TemplateParseError`s naming the template and line, never its text. */
export function parseTemplate(
  name: string,
  source: string,
  options: { delims?: Delimiters; isFunction?: (name: string) => boolean } = {},
): ParsedTemplate {
  const parser = new Parser(
    name,
    lex(name, source, options.delims ?? DEFAULT_DELIMITERS),
    options.isFunction,
  );
  const nodes = parser.list(new Set());
  if (parser.peek()) {
    const item = parser.peek()!;
    throw new TemplateParseError(name, item.line, `unexpected {{${keywordOf(item) ?? 'action'}}}`);
  }
  return { name, nodes };
}

function keywordOf(item: Item | undefined): string | undefined {
  if (item?.kind !== 'action') return undefined;
  const first = item.tokens[0];
  return first.kind === 'ident' ? first.text : undefined;
}

const BLOCKS = new Set(['if', 'with', 'range']);

class Parser {
  private index = 0;
  private rangeDepth = 0;

  constructor(
    private readonly name: string,
    private readonly items: Item[],
    private readonly isFunction: (name: string) => boolean = () => true,
  ) {}

  peek(): Item | undefined {
    return this.items[this.index];
  }

  private fail(line: number, message: string): never {
    throw new TemplateParseError(this.name, line, message);
  }

  /** Nodes up to (not including) an action whose keyword is in `stops`. */
  list(stops: Set<string>): Node[] {
    const nodes: Node[] = [];
    for (let item = this.peek(); item; item = this.peek()) {
      const keyword = keywordOf(item);
      if (keyword && stops.has(keyword)) return nodes;
      if (keyword === 'end' || keyword === 'else') this.fail(item.line, `unexpected {{${keyword}}}`);
      this.index++;
      nodes.push(this.node(item));
    }
    return nodes;
  }

  private node(item: Item): Node {
    if (item.kind === 'text') return { kind: 'text', text: item.text };
    const keyword = keywordOf(item);
    if (keyword && BLOCKS.has(keyword)) return this.block(keyword as 'if', item.tokens.slice(1), item.line);
    if (keyword === 'break' || keyword === 'continue') {
      if (this.rangeDepth === 0) this.fail(item.line, `{{${keyword}}} outside {{range}}`);
      if (item.tokens.length > 1) this.fail(item.line, `unexpected token in {{${keyword}}}`);
      return { kind: keyword, line: item.line };
    }
    if (keyword === 'define' || keyword === 'template' || keyword === 'block') {
      this.fail(item.line, `{{${keyword}}} is not supported`);
    }
    return { kind: 'action', pipeline: this.pipeline(item.tokens, item.line, false) };
  }

  private block(kind: 'if' | 'with' | 'range', tokens: Token[], line: number): Node {
    const pipeline = this.pipeline(tokens, line, kind === 'range');
    if (pipeline.commands.length === 0) this.fail(line, `missing value for ${kind}`);
    if (kind === 'range') this.rangeDepth++;
    const body = this.list(new Set(['else', 'end']));
    if (kind === 'range') this.rangeDepth--;
    const next = this.peek();
    if (next?.kind !== 'action') this.fail(line, `unexpected EOF: {{${kind}}} has no {{end}}`);
    this.index++;
    let otherwise: Node[] = [];
    if (keywordOf(next) === 'else') {
      const chained = next.tokens[1];
      if (chained?.kind === 'ident' && (chained.text === 'if' || chained.text === 'with')) {
        // `{{else if x}}` is `{{else}}{{if x}}…{{end}}` sharing the outer {{end}}, as in Go.
        otherwise = [this.block(chained.text, next.tokens.slice(2), next.line)];
        return { kind, pipeline, body, otherwise };
      }
      if (next.tokens.length > 1) this.fail(next.line, 'unexpected token in {{else}}');
      otherwise = this.list(new Set(['end', 'else']));
      const end = this.peek();
      if (keywordOf(end) !== 'end') this.fail(end?.line ?? line, `expected {{end}} for {{${kind}}}`);
      this.index++;
    } else if (next.tokens.length > 1) {
      this.fail(next.line, 'unexpected token in {{end}}');
    }
    return { kind, pipeline, body, otherwise };
  }

  private pipeline(tokens: Token[], line: number, allowTwo: boolean): Pipeline {
    const pipeline: Pipeline = { variables: [], assign: false, commands: [], line };
    let at = this.declarations(tokens, pipeline, allowTwo, line);
    while (at < tokens.length) {
      const { command, next } = this.command(tokens, at, line);
      pipeline.commands.push(command);
      at = next;
      if (at < tokens.length) {
        if (tokens[at].kind !== 'pipe') this.fail(line, `unexpected "${tokens[at].text}" in command`);
        at++;
        if (at >= tokens.length) this.fail(line, 'missing command after |');
      }
    }
    if (pipeline.variables.length > 0 && pipeline.commands.length === 0) this.fail(line, 'missing value');
    return pipeline;
  }

  /** Reads `$x :=`, `$x =` or `$k, $v :=`; returns the index of the first token after them. */
  private declarations(tokens: Token[], pipeline: Pipeline, allowTwo: boolean, line: number): number {
    const [a, b, c, d] = tokens;
    if (a?.kind === 'variable' && (b?.kind === 'declare' || b?.kind === 'assign')) {
      pipeline.variables = [a.text];
      pipeline.assign = b.kind === 'assign';
      return 2;
    }
    if (allowTwo && a?.kind === 'variable' && b?.kind === 'comma' && c?.kind === 'variable') {
      if (d?.kind !== 'declare' && d?.kind !== 'assign') this.fail(line, 'expected := after range variables');
      pipeline.variables = [a.text, c.text];
      pipeline.assign = d.kind === 'assign';
      return 4;
    }
    return 0;
  }

  private command(tokens: Token[], start: number, line: number): { command: Command; next: number } {
    const operands: Operand[] = [];
    let at = start;
    while (at < tokens.length && tokens[at].kind !== 'pipe' && tokens[at].kind !== 'rparen') {
      const { operand, next } = this.operand(tokens, at, line);
      operands.push(operand);
      at = next;
    }
    if (operands.length === 0) this.fail(line, 'empty command');
    return { command: { operands }, next: at };
  }

  /** Field names chained directly (no space) after an operand: `$x.a.b`, `(f).a`. */
  private chain(tokens: Token[], at: number): { names: string[]; next: number } {
    const names: string[] = [];
    while (tokens[at]?.kind === 'field' && !tokens[at].spaced) names.push(tokens[at++].text);
    return { names, next: at };
  }

  private operand(tokens: Token[], at: number, line: number): { operand: Operand; next: number } {
    const token = tokens[at];
    switch (token.kind) {
      case 'dot':
        return { operand: { kind: 'dot' }, next: at + 1 };
      case 'field': {
        const { names, next } = this.chain(tokens, at + 1);
        return { operand: { kind: 'field', names: [token.text, ...names] }, next };
      }
      case 'variable': {
        const { names, next } = this.chain(tokens, at + 1);
        return { operand: { kind: 'variable', name: token.text, names }, next };
      }
      case 'string':
        return { operand: { kind: 'literal', value: token.text }, next: at + 1 };
      case 'number':
        return { operand: { kind: 'literal', value: this.number(token.text, line) }, next: at + 1 };
      case 'ident': {
        const operand = identOperand(token.text);
        if (operand.kind === 'function' && !this.isFunction(token.text)) {
          this.fail(line, `function ${JSON.stringify(token.text)} not defined`);
        }
        return { operand, next: at + 1 };
      }
      case 'lparen':
        return this.parenthesized(tokens, at, line);
      default:
        return this.fail(line, `unexpected "${token.text}" in operand`);
    }
  }

  private parenthesized(tokens: Token[], at: number, line: number): { operand: Operand; next: number } {
    let depth = 0;
    let close = at;
    for (; close < tokens.length; close++) {
      if (tokens[close].kind === 'lparen') depth++;
      if (tokens[close].kind === 'rparen' && --depth === 0) break;
    }
    if (close >= tokens.length) this.fail(line, 'unclosed left paren');
    const pipeline = this.pipeline(tokens.slice(at + 1, close), line, false);
    if (pipeline.commands.length === 0) this.fail(line, 'missing pipeline in parentheses');
    const { names, next } = this.chain(tokens, close + 1);
    return { operand: { kind: 'pipeline', pipeline, names }, next };
  }

  private number(text: string, line: number): number {
    const value = Number(text.replaceAll('_', ''));
    if (Number.isNaN(value)) this.fail(line, `bad number syntax: ${JSON.stringify(text)}`);
    return value;
  }
}

function identOperand(name: string): Operand {
  if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
  if (name === 'nil') return { kind: 'literal', value: null };
  return { kind: 'function', name };
}
