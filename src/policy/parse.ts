/** ACL policy text (HCL or JSON) → a typed Policy, with Vault's parse rules and error texts. */
import { parseHcl } from '../config/hcl.js';
import { invalid } from '../core/errors.js';
import { parseDurationSeconds } from '../framework/duration.js';
import { isPlainObject } from '../framework/fields.js';

export const CAPABILITIES = [
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
  'subscribe',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Allowed or denied values per parameter; an empty list means "any value". */
export type ParameterValues = Record<string, unknown[]>;

export interface PathRule {
  pattern: string;
  capabilities: Set<Capability>;
  allowedParameters?: ParameterValues;
  deniedParameters?: ParameterValues;
  requiredParameters?: string[];
  minWrappingTtl?: number;
  maxWrappingTtl?: number;
}

export interface Policy {
  name: string;
  rules: PathRule[];
}

const LEGACY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const fail = (why: string) => invalid(`failed to parse policy: ${why}`);

function parameterValues(value: unknown, pattern: string, field: string): ParameterValues | undefined {
  if (value === undefined) return undefined;
  const object = Array.isArray(value) ? Object.assign({}, ...value.filter(isPlainObject)) : value;
  if (!isPlainObject(object)) throw fail(`path "${pattern}": ${field} must be a map`);
  const out: ParameterValues = {};
  for (const [key, values] of Object.entries(object)) {
    out[key.toLowerCase()] = Array.isArray(values) ? values : [values];
  }
  return out;
}

function ruleOf(pattern: string, body: Record<string, unknown>): PathRule {
  if (pattern.includes('+*')) throw fail(`path "${pattern}": invalid use of wildcards ('+*' is forbidden)`);
  if (pattern.slice(0, -1).includes('*'))
    throw fail(`path "${pattern}": "*" is only allowed at the end of a path`);
  const capabilities = new Set<Capability>();
  const listed = body.capabilities === undefined ? [] : body.capabilities;
  if (!Array.isArray(listed)) throw fail(`path "${pattern}": capabilities must be a list`);
  for (const cap of listed) {
    if (!CAPABILITIES.includes(cap as Capability))
      throw fail(`path "${pattern}": invalid capability "${cap}"`);
    capabilities.add(cap as Capability);
  }
  if (typeof body.policy === 'string') {
    const legacy = LEGACY[body.policy];
    if (!legacy) throw fail(`path "${pattern}": invalid policy "${body.policy}"`);
    for (const cap of legacy) capabilities.add(cap);
  }
  const rule: PathRule = { pattern: pattern.replace(/^\/+/, ''), capabilities };
  rule.allowedParameters = parameterValues(body.allowed_parameters, pattern, 'allowed_parameters');
  rule.deniedParameters = parameterValues(body.denied_parameters, pattern, 'denied_parameters');
  if (body.required_parameters !== undefined) {
    if (!Array.isArray(body.required_parameters))
      throw fail(`path "${pattern}": required_parameters must be a list`);
    rule.requiredParameters = body.required_parameters.map((p) => String(p).toLowerCase());
  }
  for (const [field, key] of [
    ['min_wrapping_ttl', 'minWrappingTtl'],
    ['max_wrapping_ttl', 'maxWrappingTtl'],
  ] as const) {
    if (body[field] !== undefined) rule[key] = parseDurationSeconds(body[field], field);
  }
  if (rule.minWrappingTtl && rule.maxWrappingTtl && rule.minWrappingTtl > rule.maxWrappingTtl) {
    throw fail(`path "${pattern}": max_wrapping_ttl cannot be less than min_wrapping_ttl`);
  }
  return rule;
}

async function rawDocument(text: string): Promise<Record<string, unknown>> {
  if (text.trim().startsWith('{')) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw fail((error as Error).message);
    }
  }
  try {
    return await parseHcl(text, 'policy.hcl');
  } catch (error) {
    throw fail((error as Error).message);
  }
}

export async function parsePolicy(name: string, text: string): Promise<Policy> {
  const doc = await rawDocument(text);
  const paths = doc.path ?? {};
  if (!isPlainObject(paths)) throw fail('"path" must be a map of blocks');
  const rules: PathRule[] = [];
  for (const [pattern, bodies] of Object.entries(paths)) {
    for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
      if (!isPlainObject(body)) throw fail(`path "${pattern}": expected a block`);
      rules.push(ruleOf(pattern, body));
    }
  }
  return { name, rules };
}

function formatValues(values: ParameterValues): string {
  const entries = Object.entries(values).map(([k, v]) => `    ${JSON.stringify(k)} = ${JSON.stringify(v)}`);
  return `{\n${entries.join('\n')}\n  }`;
}

/** Canonical HCL for `policy fmt`: one block per path, capabilities in Vault's order. */
export async function formatPolicyHcl(text: string): Promise<string> {
  const policy = await parsePolicy('fmt', text);
  const blocks = policy.rules.map((rule) => {
    const lines = [
      `  capabilities = ${JSON.stringify(CAPABILITIES.filter((c) => rule.capabilities.has(c)))}`,
    ];
    if (rule.allowedParameters) lines.push(`  allowed_parameters = ${formatValues(rule.allowedParameters)}`);
    if (rule.deniedParameters) lines.push(`  denied_parameters = ${formatValues(rule.deniedParameters)}`);
    if (rule.requiredParameters)
      lines.push(`  required_parameters = ${JSON.stringify(rule.requiredParameters)}`);
    if (rule.minWrappingTtl) lines.push(`  min_wrapping_ttl = "${rule.minWrappingTtl}s"`);
    if (rule.maxWrappingTtl) lines.push(`  max_wrapping_ttl = "${rule.maxWrappingTtl}s"`);
    return `path ${JSON.stringify(rule.pattern)} {\n${lines.join('\n').replaceAll('","', '", "')}\n}\n`;
  });
  return blocks.join('\n');
}
