/** The template language's entry point: compile once (parse errors name the template and line), render many times. */
import { goBuiltins } from './builtins.js';
import { consulFunctions } from './consul-functions.js';
import { executeTemplate, type TemplateFunction } from './execute.js';
import type { Delimiters } from './lexer.js';
import { type ParsedTemplate, parseTemplate } from './parser.js';

/** Functions whose results come from the server; the runner supplies them for each render. */
const SERVER_FUNCTIONS = ['secret', 'secrets'] as const;

export interface CompileOptions {
  delims?: Partial<Delimiters>;
  errorOnMissingKey?: boolean;
}

export interface CompiledTemplate {
  readonly parsed: ParsedTemplate;
  readonly errorOnMissingKey: boolean;
}

const LOCAL_FUNCTIONS = new Set([
  'and',
  'or',
  ...Object.keys(goBuiltins),
  ...Object.keys(consulFunctions({}, () => new Date())),
]);

export function compileTemplate(
  name: string,
  source: string,
  options: CompileOptions = {},
): CompiledTemplate {
  const delims = { left: options.delims?.left || '{{', right: options.delims?.right || '}}' };
  const isFunction = (fn: string) =>
    LOCAL_FUNCTIONS.has(fn) || (SERVER_FUNCTIONS as readonly string[]).includes(fn);
  return {
    parsed: parseTemplate(name, source, { delims, isFunction }),
    errorOnMissingKey: !!options.errorOnMissingKey,
  };
}

export interface RenderEnvironment {
  /** `secret` and `secrets`, bound to the runner's cache of this round. */
  server?: Partial<Record<(typeof SERVER_FUNCTIONS)[number], TemplateFunction>>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export function renderTemplate(template: CompiledTemplate, environment: RenderEnvironment = {}): string {
  const functions: Record<string, TemplateFunction> = {
    ...goBuiltins,
    ...consulFunctions(environment.env ?? process.env, environment.now ?? (() => new Date())),
  };
  for (const name of SERVER_FUNCTIONS) {
    functions[name] =
      environment.server?.[name] ??
      (() => {
        throw new Error(`${name} is not available here`);
      });
  }
  return executeTemplate(template.parsed, undefined, {
    functions,
    errorOnMissingKey: template.errorOnMissingKey,
  });
}
