/**
 * Vault's `username_template`: a small subset of Go's text/template with Vault's helper functions
 * (`printf`, `truncate`, `random`, `unix_time`, `lowercase`, `replace`, …) over `.DisplayName` and
 * `.RoleName`. Parsed once when a connection is configured, rendered for every new user.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';

export interface UsernameInputs {
  displayName: string;
  roleName: string;
}

type Value = string | number;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'literal'; value: Value }
  | { kind: 'field'; name: string }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'pipeline'; commands: Node[] };

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const FIELDS: Record<string, keyof UsernameInputs> = { DisplayName: 'displayName', RoleName: 'roleName' };

const str = (v: Value) => String(v);
const MAX_RANDOM = 1024;

const int = (v: Value, fn: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${fn}: expected a non-negative integer`);
  return n;
};

/** Go's fmt verbs that templates use in practice: %s, %d, %v and %%. */
function printf(format: Value, ...args: Value[]): string {
  let next = 0;
  return str(format).replace(/%[sdv%]/g, (verb) => (verb === '%%' ? '%' : str(args[next++] ?? '')));
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  printf: (format, ...args) => printf(format, ...args),
  truncate: (n, s) => [...str(s)].slice(0, int(n, 'truncate')).join(''),
  truncate_sha256: (n, s) => {
    const text = str(s);
    const length = int(n, 'truncate_sha256');
    if (text.length <= length) return text;
    return (
      text.slice(0, Math.max(0, length - 8)) + createHash('sha256').update(text).digest('hex').slice(0, 8)
    );
  },
  random: (n) => {
    const length = int(n, 'random');
    // Usernames end up at most a few hundred characters; a huge N would only exhaust memory.
    if (length > MAX_RANDOM) throw new Error(`random: at most ${MAX_RANDOM} characters`);
    return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
  },
  unix_time: () => Math.floor(Date.now() / 1000),
  unix_time_millis: () => Date.now(),
  uuid: () => randomUUID(),
  lowercase: (s) => str(s).toLowerCase(),
  uppercase: (s) => str(s).toUpperCase(),
  replace: (from, to, s) => str(s).replaceAll(str(from), str(to)),
  sha256: (s) => createHash('sha256').update(str(s)).digest('hex'),
  base64: (s) => Buffer.from(str(s)).toString('base64'),
};

class Parser {
  private at = 0;
  constructor(private readonly source: string) {}

  private fail(message: string): never {
    throw new Error(`unable to parse username template: ${message} at offset ${this.at}`);
  }

  private skipSpace(): void {
    while (/\s/.test(this.source[this.at] ?? '')) this.at++;
  }

  parseTemplate(): Node[] {
    const nodes: Node[] = [];
    while (this.at < this.source.length) {
      const open = this.source.indexOf('{{', this.at);
      if (open === -1) {
        nodes.push({ kind: 'text', text: this.source.slice(this.at) });
        break;
      }
      if (open > this.at) nodes.push({ kind: 'text', text: this.source.slice(this.at, open) });
      this.at = open + 2;
      if (this.source[this.at] === '-') this.at++;
      nodes.push(this.parsePipeline('}}'));
      this.skipSpace();
      if (this.source.startsWith('-}}', this.at)) this.at++;
      if (!this.source.startsWith('}}', this.at)) this.fail('expected "}}"');
      this.at += 2;
    }
    return nodes;
  }

  private parsePipeline(end: string): Node {
    const commands: Node[] = [this.parseCommand(end)];
    for (this.skipSpace(); this.source[this.at] === '|'; this.skipSpace()) {
      this.at++;
      commands.push(this.parseCommand(end));
    }
    return { kind: 'pipeline', commands };
  }

  private atCommandEnd(end: string): boolean {
    this.skipSpace();
    const rest = this.source.slice(this.at);
    return rest === '' || rest.startsWith('|') || rest.startsWith(end) || rest.startsWith(`-${end}`);
  }

  private parseCommand(end: string): Node {
    const first = this.parseOperand();
    if (first.kind !== 'call') {
      if (!this.atCommandEnd(end)) this.fail('unexpected argument after a value');
      return first;
    }
    while (!this.atCommandEnd(end)) first.args.push(this.parseOperand());
    return first;
  }

  private parseOperand(): Node {
    this.skipSpace();
    const rest = this.source.slice(this.at);
    if (rest.startsWith('(')) {
      this.at++;
      const inner = this.parsePipeline(')');
      this.skipSpace();
      if (this.source[this.at] !== ')') this.fail('expected ")"');
      this.at++;
      return inner;
    }
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (quoted) {
      this.at += quoted[0].length;
      return { kind: 'literal', value: JSON.parse(quoted[0]) as string };
    }
    const number = /^\d+/.exec(rest);
    if (number) {
      this.at += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const fieldRef = /^\.([A-Za-z]+)/.exec(rest);
    if (fieldRef) {
      if (!FIELDS[fieldRef[1]]) this.fail(`unknown field .${fieldRef[1]}`);
      this.at += fieldRef[0].length;
      return { kind: 'field', name: fieldRef[1] };
    }
    const ident = /^[a-z_][a-z0-9_]*/.exec(rest);
    if (ident) {
      if (!Object.hasOwn(FUNCTIONS, ident[0])) this.fail(`function "${ident[0]}" not defined`);
      this.at += ident[0].length;
      return { kind: 'call', fn: ident[0], args: [] };
    }
    return this.fail('unexpected input');
  }
}

function evaluate(node: Node, inputs: UsernameInputs, piped?: Value): Value {
  switch (node.kind) {
    case 'text':
      return node.text;
    case 'literal':
      return node.value;
    case 'field':
      return inputs[FIELDS[node.name]];
    case 'call': {
      const args = node.args.map((arg) => evaluate(arg, inputs));
      if (piped !== undefined) args.push(piped);
      return FUNCTIONS[node.fn](...args);
    }
    case 'pipeline': {
      let value: Value | undefined;
      for (const command of node.commands) value = evaluate(command, inputs, value);
      return value ?? '';
    }
  }
}

export interface UsernameTemplate {
  render(inputs: UsernameInputs): string;
}

/** Parses a template; throws a message that names the problem (never echoes secrets: templates hold none). */
export function compileUsernameTemplate(source: string): UsernameTemplate {
  const nodes = new Parser(source).parseTemplate();
  const template = {
    render: (inputs: UsernameInputs) => nodes.map((node) => str(evaluate(node, inputs))).join(''),
  };
  // Vault renders once at configuration time so a broken template fails the write, not the first lease.
  if (template.render({ displayName: 'display', roleName: 'role' }) === '')
    throw new Error('username template renders an empty username');
  return template;
}
