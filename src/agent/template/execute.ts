/** Executes a parsed template against data, with Go text/template's scoping, missing-key and range rules. */
import type { Command, Node, Operand, ParsedTemplate, Pipeline } from './parser.js';
import { formatValue, GoStruct, isMap, sortedKeys, truth, typeName } from './values.js';

/** A template function. Throw a plain Error to fail the render; its message must not hold a value. */
export type TemplateFunction = (...args: unknown[]) => unknown;

export interface ExecuteOptions {
  functions: Readonly<Record<string, TemplateFunction>>;
  /** Go's `missingkey=error` (Vault's `error_on_missing_key`); default prints `<no value>`. */
  errorOnMissingKey?: boolean;
}

export class TemplateExecError extends Error {
  constructor(name: string, line: number, message: string) {
    super(`template: ${name}:${line}: executing "${name}": ${message}`);
    this.name = 'TemplateExecError';
  }
}

/** A failure inside one node, carried up to where the template name and line are known. */
class NodeError extends Error {}

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

export function executeTemplate(template: ParsedTemplate, data: unknown, options: ExecuteOptions): string {
  const state = new State(template.name, data, options);
  state.list(template.nodes);
  return state.output.join('');
}

interface Variable {
  name: string;
  value: unknown;
}

class State {
  readonly output: string[] = [];
  private readonly variables: Variable[];
  private line = 0;

  constructor(
    private readonly name: string,
    data: unknown,
    private readonly options: ExecuteOptions,
  ) {
    this.variables = [{ name: '$', value: data }];
  }

  list(nodes: Node[], dot: unknown = this.variables[0].value): void {
    for (const node of nodes) this.node(node, dot);
  }

  private node(node: Node, dot: unknown): void {
    switch (node.kind) {
      case 'text':
        this.output.push(node.text);
        return;
      case 'action': {
        const value = this.pipeline(node.pipeline, dot);
        if (node.pipeline.variables.length === 0)
          this.output.push(value === null ? '<no value>' : formatValue(value));
        return;
      }
      case 'if':
      case 'with':
        this.scoped(() => {
          const value = this.pipeline(node.pipeline, dot);
          if (truth(value)) this.list(node.body, node.kind === 'with' ? value : dot);
          else this.list(node.otherwise, dot);
        });
        return;
      case 'range':
        this.scoped(() => this.range(node.pipeline, node.body, node.otherwise, dot));
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  /** Variables declared inside a control structure end with it, as in Go. */
  private scoped(run: () => void): void {
    const mark = this.variables.length;
    try {
      run();
    } finally {
      this.variables.length = mark;
    }
  }

  private range(pipeline: Pipeline, body: Node[], otherwise: Node[], dot: unknown): void {
    const declared = pipeline.variables;
    const value = this.pipeline({ ...pipeline, variables: [] }, dot);
    const entries = this.rangeEntries(value);
    if (entries.length === 0) {
      this.list(otherwise, dot);
      return;
    }
    const mark = this.variables.length;
    for (const [key, element] of entries.items) {
      this.variables.length = mark;
      if (declared.length === 1) this.setVariable(declared[0], element, pipeline.assign);
      if (declared.length === 2) {
        this.setVariable(declared[0], key, pipeline.assign);
        this.setVariable(declared[1], element, pipeline.assign);
      }
      try {
        this.list(body, element);
      } catch (signal) {
        if (signal === BREAK) break;
        if (signal !== CONTINUE) throw signal;
      }
    }
  }

  private rangeEntries(value: unknown): { length: number; items: Iterable<[unknown, unknown]> } {
    if (value === undefined || value === null) return { length: 0, items: [] };
    if (Array.isArray(value)) return { length: value.length, items: value.map((element, i) => [i, element]) };
    if (isMap(value)) {
      const keys = sortedKeys(value);
      return { length: keys.length, items: keys.map((key) => [key, value[key]]) };
    }
    if (typeof value === 'number' && Number.isInteger(value)) {
      // Counted as it goes, as Go does: `range 100000000` is a loop, not an array of 10^8 pairs.
      return { length: Math.max(0, value), items: countTo(value) };
    }
    return this.fail(this.line, `range can't iterate over value of type ${typeName(value)}`);
  }

  private fail(line: number, message: string): never {
    throw new TemplateExecError(this.name, line, message);
  }

  private pipeline(pipeline: Pipeline, dot: unknown): unknown {
    this.line = pipeline.line;
    let value: unknown;
    let piped = false;
    try {
      for (const command of pipeline.commands) {
        value = this.command(command, dot, piped, value);
        piped = true;
      }
    } catch (error) {
      if (error instanceof NodeError) this.fail(pipeline.line, error.message);
      if (error instanceof TemplateExecError || typeof error === 'symbol') throw error;
      // A function's own failure: its message is written to hold no values.
      this.fail(pipeline.line, error instanceof Error ? error.message : 'function failed');
    }
    for (const variable of pipeline.variables) this.setVariable(variable, value, pipeline.assign);
    return value;
  }

  private setVariable(name: string, value: unknown, assign: boolean): void {
    if (!assign) {
      this.variables.push({ name, value });
      return;
    }
    for (let i = this.variables.length - 1; i >= 0; i--) {
      if (this.variables[i].name === name) {
        this.variables[i].value = value;
        return;
      }
    }
    throw new NodeError(`undefined variable: ${name}`);
  }

  private variable(name: string): unknown {
    for (let i = this.variables.length - 1; i >= 0; i--) {
      if (this.variables[i].name === name) return this.variables[i].value;
    }
    throw new NodeError(`undefined variable: ${name}`);
  }

  private command(command: Command, dot: unknown, piped: boolean, final: unknown): unknown {
    const [first, ...rest] = command.operands;
    if (first.kind === 'function') {
      if (first.name === 'and' || first.name === 'or') return this.andOr(first.name, rest, dot, piped, final);
      const args = rest.map((operand) => this.operand(operand, dot));
      if (piped) args.push(final);
      return this.call(first.name, args);
    }
    if (rest.length > 0 || piped)
      throw new NodeError(`can't give argument to non-function ${describe(first)}`);
    return this.operand(first, dot);
  }

  /** `and`/`or` stop at the first deciding argument and return it, as Go 1.18+ does. */
  private andOr(name: string, operands: Operand[], dot: unknown, piped: boolean, final: unknown): unknown {
    const thunks: (() => unknown)[] = operands.map((operand) => () => this.operand(operand, dot));
    if (piped) thunks.push(() => final);
    if (thunks.length === 0) throw new NodeError(`wrong number of args for ${name}: want at least 1 got 0`);
    let value: unknown;
    for (const thunk of thunks) {
      value = thunk();
      if (truth(value) === (name === 'or')) return value;
    }
    return value;
  }

  private call(name: string, args: unknown[]): unknown {
    const fn = this.options.functions[name];
    if (!fn) throw new NodeError(`function ${JSON.stringify(name)} not defined`);
    return fn(...args);
  }

  private operand(operand: Operand, dot: unknown): unknown {
    switch (operand.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return operand.value;
      case 'function':
        return this.call(operand.name, []);
      case 'field':
        return this.chain(dot, operand.names);
      case 'variable':
        return this.chain(this.variable(operand.name), operand.names);
      case 'pipeline':
        return this.chain(this.pipeline(operand.pipeline, dot), operand.names);
    }
  }

  private chain(receiver: unknown, names: string[]): unknown {
    let value = receiver;
    for (const name of names) value = this.field(value, name);
    return value;
  }

  private field(receiver: unknown, name: string): unknown {
    if (receiver instanceof GoStruct) {
      if (Object.hasOwn(receiver.fields, name)) return receiver.fields[name];
      throw new NodeError(`can't evaluate field ${name} in type ${receiver.typeName}`);
    }
    if (isMap(receiver)) {
      if (Object.hasOwn(receiver, name)) return receiver[name];
      if (this.options.errorOnMissingKey) throw new NodeError(`map has no entry for key "${name}"`);
      return undefined;
    }
    if (receiver === undefined) {
      if (this.options.errorOnMissingKey) throw new NodeError(`nil data; no entry for key "${name}"`);
      return undefined;
    }
    if (receiver === null) throw new NodeError(`nil pointer evaluating interface {}.${name}`);
    throw new NodeError(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }
}

function* countTo(end: number): Generator<[number, number]> {
  for (let i = 0; i < end; i++) yield [i, i];
}

function describe(operand: Operand): string {
  switch (operand.kind) {
    case 'field':
      return `.${operand.names.join('.')}`;
    case 'variable':
      return operand.name + operand.names.map((n) => `.${n}`).join('');
    case 'dot':
      return '.';
    default:
      return operand.kind;
  }
}
