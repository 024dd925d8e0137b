/** ACL policy text (HCL or JSON) → a typed Policy, with Vault's parse rules and error texts. */
import { parseHcl } from '../config/hcl.js';
import { type CofferError, invalid } from '../core/errors.js';
import { parseDurationSeconds } from '../framework/duration.js';
import {
  firstExpression,
  printPolicy,
  reformatHcl,
  splitBlockAttributes,
  templatedStrings,
} from './hcl-text.js';
import { templateIsBalanced } from './template.js';

/** Vault's capabilities plus `subscribe`/`recover` (Vault ≥ 1.16) and OpenBao's `scan`, accepted and reported. */
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
  'recover',
  'scan',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Allowed or denied values per parameter (keys lower-cased); an empty list means "any value". */
export type ParameterValues = Record<string, unknown[]>;

export interface PathRule {
  /** The path with a leading `/` stripped; may still hold `{{identity…}}` placeholders. */
  pattern: string;
  capabilities: Set<Capability>;
  allowedParameters?: ParameterValues;
  deniedParameters?: ParameterValues;
  requiredParameters?: string[];
  /** Seconds; 0 or absent means no bound. */
  minWrappingTtl?: number;
  maxWrappingTtl?: number;
}

export interface Policy {
  name: string;
  rules: PathRule[];
}

/** Vault's pre-0.5 `policy = "…"` shorthand, mapped as policy.go does. */
const LEGACY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const RULE_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  // Enterprise-only keys: ignoring them would grant without the MFA or approval they demand.
  'mfa_methods',
  'control_group',
]);

const fail = (why: string) => invalid(`failed to parse policy: ${why}`);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** HCL1 decodes a lone value into a list field as a one-element list. */
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
/** A block written as `key { … }` comes back from HCL2 as a list of objects; merge them. */
const asObject = (v: unknown): unknown =>
  Array.isArray(v) && v.every(isObject) ? Object.assign({}, ...v) : v;

function parameterValues(value: unknown, where: string, field: string): ParameterValues | undefined {
  if (value === undefined) return undefined;
  const object = asObject(value);
  if (!isObject(object)) throw fail(`${where}: ${field} must be a map`);
  const out: ParameterValues = {};
  for (const [key, values] of Object.entries(object)) {
    // policy.go validateParameter: a key may be `*` alone, never a partial glob.
    if (key.includes('*') && key !== '*')
      throw fail(`${where}: ${field}: parameter key "${key}" cannot contain non-tail wildcards`);
    if (isObject(values)) throw fail(`${where}: ${field}: values of "${key}" must be a list`);
    out[key.toLowerCase()] = asList(values);
  }
  return out;
}

function capabilitiesOf(body: Record<string, unknown>, where: string): Set<Capability> {
  const listed = body.capabilities === undefined ? [] : asList(body.capabilities);
  const caps = new Set<Capability>();
  for (const cap of listed) {
    if (!CAPABILITIES.includes(cap as Capability)) throw fail(`${where}: invalid capability "${cap}"`);
    caps.add(cap as Capability);
  }
  if (body.policy !== undefined) {
    const legacy = LEGACY[String(body.policy)];
    if (!legacy) throw fail(`${where}: invalid policy "${body.policy}"`);
    for (const cap of legacy) caps.add(cap);
  }
  // policy.go: `deny` replaces every other capability of the block.
  return caps.has('deny') ? new Set(['deny']) : caps;
}

function duration(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationSeconds(value, field);
  } catch (error) {
    throw fail(`error parsing ${field}: ${(error as CofferError).message}`);
  }
}

function ruleOf(rawPattern: string, body: Record<string, unknown>): PathRule {
  const where = `path "${rawPattern}"`;
  for (const key of Object.keys(body)) {
    if (!RULE_KEYS.has(key)) throw fail(`${where}: invalid key "${key}"`);
    if (key === 'mfa_methods' || key === 'control_group') throw fail(`${where}: ${key} is not supported`);
  }
  if (!templateIsBalanced(rawPattern))
    throw fail('failed to validate policy templating: unbalanced templating characters');
  // policy.go strips one leading `/`: policy paths start after the `/v1/` of the API path.
  const pattern = rawPattern.startsWith('/') ? rawPattern.slice(1) : rawPattern;
  if (pattern.includes('+*')) throw fail(`path "${pattern}": invalid use of wildcards ('+*' is forbidden)`);
  const rule: PathRule = { pattern, capabilities: capabilitiesOf(body, where) };
  // A deny block keeps nothing else, as policy.go jumps past the parameters.
  if (rule.capabilities.has('deny')) return rule;
  rule.allowedParameters = parameterValues(asObject(body.allowed_parameters), where, 'allowed_parameters');
  rule.deniedParameters = parameterValues(asObject(body.denied_parameters), where, 'denied_parameters');
  if (body.required_parameters !== undefined)
    rule.requiredParameters = asList(body.required_parameters).map((p) => String(p).toLowerCase());
  rule.minWrappingTtl = duration(body.min_wrapping_ttl, 'min_wrapping_ttl');
  rule.maxWrappingTtl = duration(body.max_wrapping_ttl, 'max_wrapping_ttl');
  if (rule.minWrappingTtl && rule.maxWrappingTtl && rule.maxWrappingTtl < rule.minWrappingTtl)
    throw fail('max_wrapping_ttl cannot be less than min_wrapping_ttl');
  return rule;
}

const looksLikeJson = (text: string) => text.trimStart().startsWith('{');

/** The document and the HCL text that produced it (rewritten when only the HCL1 form parses). */
async function readDocument(raw: string): Promise<{ doc: unknown; source: string }> {
  // A byte-order mark from an editor that saved the file as "UTF-8 with BOM" is not part of the
  // policy; policies stored before the stricter parser may start with one.
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  // Nothing to parse (an unknown or `root` policy name): no need to start the HCL parser.
  if (text.trim() === '') return { doc: {}, source: text };
  if (looksLikeJson(text)) {
    try {
      return { doc: JSON.parse(text), source: text };
    } catch (error) {
      throw fail((error as Error).message);
    }
  }
  const expression = firstExpression(text);
  if (expression !== undefined) throw fail(`expressions are not supported: ${JSON.stringify(expression)}`);
  let parsed: { doc: unknown; source: string };
  try {
    parsed = { doc: await parseHcl(text, 'policy.hcl'), source: text };
  } catch (error) {
    const rewritten = splitBlockAttributes(text);
    const doc = await parseHcl(rewritten, 'policy.hcl').catch(() => undefined);
    if (!doc) throw fail((error as Error).message);
    parsed = { doc, source: rewritten };
  }
  assertTemplatesLiteral(text, parsed.doc);
  return parsed;
}

/** Every string and key of a parsed document. */
function stringsOf(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) stringsOf(item, into.add(key));
  return into;
}

/**
 * HCL2 evaluates `${…}` and `%{…}` where HCL1 (Vault) keeps them as text: `["re${"a"}d"]` would grant `read`
 * here and is an invalid capability in Vault. A template that HCL2 left as written (`"${x}"`) means the
 * same in both; one it changed is refused.
 */
function assertTemplatesLiteral(text: string, doc: unknown): void {
  const templated = templatedStrings(text);
  if (templated.length === 0) return;
  const strings = stringsOf(doc);
  const changed = templated.find((literal) => !strings.has(literal));
  if (changed !== undefined)
    throw fail(`template sequences ("\${", "%{") are not supported: ${JSON.stringify(changed)}`);
}

/** `path` as a map of pattern → body (or list of bodies); JSON may also give a list of such maps. */
function pathEntries(paths: unknown): [string, unknown][] {
  if (paths === undefined) return [];
  const maps = Array.isArray(paths) ? paths : [paths];
  if (!maps.every(isObject)) throw fail('"path" must be a map of blocks');
  return maps.flatMap((map) => Object.entries(map));
}

function policyOf(name: string, doc: unknown): Policy {
  if (!isObject(doc)) throw fail('does not contain a root object');
  for (const key of Object.keys(doc)) {
    if (key !== 'path' && key !== 'name') throw fail(`invalid key "${key}"`);
  }
  const rules: PathRule[] = [];
  for (const [pattern, bodies] of pathEntries(doc.path)) {
    for (const body of asList(bodies)) {
      if (!isObject(body)) throw fail(`path "${pattern}": expected a block`);
      rules.push(ruleOf(pattern, body));
    }
  }
  return { name, rules };
}

/** Parses a policy; every problem is a 400 `failed to parse policy: …` (CofferError `invalid_request`). */
export async function parsePolicy(name: string, text: string): Promise<Policy> {
  const { doc } = await readDocument(text);
  return policyOf(name, doc);
}

/** Canonical text for `policy fmt`: HCL is re-laid out with its comments kept; JSON is printed as HCL. */
export async function formatPolicyHcl(text: string): Promise<string> {
  const { doc, source } = await readDocument(text);
  const policy = policyOf('fmt', doc);
  // Every block is printed multi-line, so the output parses with HCL1 and HCL2 alike.
  return looksLikeJson(text) ? printPolicy(policy, CAPABILITIES) : reformatHcl(splitBlockAttributes(source));
}
