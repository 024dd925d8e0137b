/**
 * A compiled ACL: the rules of a token's policies, merged per pattern, indexed so a lookup is a map
 * probe per prefix length instead of a scan of every rule. Implements Vault's selection order
 * (exact, then the highest-priority of the longest `*` prefix and the matching `+` patterns).
 */
import type { Operation } from '../framework/logical.js';
import type { Capability, ParameterValues, PathRule, Policy } from './parse.js';
import { type IdentityContext, renderPattern } from './template.js';

export interface AllowRequest {
  path: string;
  operation: Operation;
  data?: Record<string, unknown>;
  wrapTtlSeconds?: number;
  requiresSudo?: boolean;
}

export interface Verdict {
  allowed: boolean;
  isRoot: boolean;
  reason?: string;
}

/** Root-protected paths (API.md 3.9): exact entries and `*` prefixes. */
const SUDO_PATTERNS = [
  'sys/auth/*',
  'sys/remount',
  'sys/audit',
  'sys/audit/*',
  'sys/raw',
  'sys/raw/*',
  'sys/rotate',
  'sys/config/cors',
  'sys/config/auditing/*',
  'sys/config/ui/headers/*',
  'sys/plugins/catalog/*',
  'sys/revoke-prefix/*',
  'sys/revoke-force/*',
  'sys/leases/revoke-prefix/*',
  'sys/leases/revoke-force/*',
  'sys/leases/lookup/*',
  'sys/leases',
  'sys/internal/inspect/*',
  'sys/seal',
  'sys/step-down',
  'auth/token/accessors/*',
  'auth/token/accessors',
  'auth/token/revoke-orphan',
  'auth/token/revoke-orphan/*',
];

export function isSudoPath(path: string): boolean {
  return SUDO_PATTERNS.some((p) =>
    p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p || path === `${p}/`,
  );
}

interface PlusRule {
  rule: PathRule;
  segments: string[];
  glob: boolean;
}

function mergeValues(
  a: ParameterValues | undefined,
  b: ParameterValues | undefined,
): ParameterValues | undefined {
  if (!a || !b) return a ?? b;
  const out: ParameterValues = { ...a };
  for (const [key, values] of Object.entries(b)) {
    const existing = out[key];
    // An empty list means "any value" and absorbs the other side.
    out[key] =
      existing === undefined
        ? values
        : existing.length === 0 || values.length === 0
          ? []
          : [...existing, ...values];
  }
  return out;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function merge(into: PathRule, rule: PathRule): PathRule {
  return {
    pattern: into.pattern,
    capabilities: new Set([...into.capabilities, ...rule.capabilities]),
    allowedParameters: mergeValues(into.allowedParameters, rule.allowedParameters),
    deniedParameters: mergeValues(into.deniedParameters, rule.deniedParameters),
    requiredParameters:
      into.requiredParameters || rule.requiredParameters
        ? [...new Set([...(into.requiredParameters ?? []), ...(rule.requiredParameters ?? [])])]
        : undefined,
    minWrappingTtl: minDefined(into.minWrappingTtl, rule.minWrappingTtl),
    maxWrappingTtl: minDefined(into.maxWrappingTtl, rule.maxWrappingTtl),
  };
}

/** Vault's priority: is p1 lower than p2? (policy.go's comparison, checked in order). */
export function lowerPriority(p1: string, p2: string): boolean {
  const firstWildcard = (p: string) => {
    const indexes = [p.indexOf('+'), p.indexOf('*')].filter((i) => i >= 0);
    return indexes.length ? Math.min(...indexes) : p.length;
  };
  const w1 = firstWildcard(p1);
  const w2 = firstWildcard(p2);
  if (w1 !== w2) return w1 < w2;
  const g1 = p1.endsWith('*');
  const g2 = p2.endsWith('*');
  if (g1 !== g2) return g1;
  const plus = (p: string) => p.split('/').filter((s) => s === '+').length;
  if (plus(p1) !== plus(p2)) return plus(p1) > plus(p2);
  if (p1.length !== p2.length) return p1.length < p2.length;
  return p1 < p2;
}

export class Acl {
  readonly isRoot: boolean;
  private readonly exact = new Map<string, PathRule>();
  private readonly prefixes = new Map<string, PathRule>();
  private readonly plus: PlusRule[] = [];

  constructor(policies: Policy[], identity: IdentityContext = {}) {
    this.isRoot = policies.some((p) => p.name === 'root');
    const merged = new Map<string, PathRule>();
    for (const policy of policies) {
      for (const raw of policy.rules) {
        const pattern = renderPattern(raw.pattern, identity);
        if (pattern === undefined) continue; // an unrenderable template drops the rule, never widens it
        const rule = { ...raw, pattern };
        const existing = merged.get(pattern);
        merged.set(pattern, existing ? merge(existing, rule) : rule);
      }
    }
    for (const rule of merged.values()) {
      if (rule.pattern.split('/').includes('+')) {
        this.plus.push({
          rule,
          segments: rule.pattern.replace(/\*$/, '').split('/'),
          glob: rule.pattern.endsWith('*'),
        });
      } else if (rule.pattern.endsWith('*')) {
        this.prefixes.set(rule.pattern.slice(0, -1), rule);
      } else {
        this.exact.set(rule.pattern, rule);
      }
    }
  }

  /** The single rule that governs a path, or undefined. */
  ruleFor(path: string, list = false): PathRule | undefined {
    const exact =
      this.exact.get(path) ?? (list && path.endsWith('/') ? this.exact.get(path.slice(0, -1)) : undefined);
    if (exact) return exact;
    let best: PathRule | undefined;
    for (let i = path.length; i >= 0; i--) {
      const rule = this.prefixes.get(path.slice(0, i));
      if (rule) {
        best = rule;
        break;
      }
    }
    for (const candidate of this.plus) {
      if (matchesPlus(candidate, path) && (!best || lowerPriority(best.pattern, candidate.rule.pattern))) {
        best = candidate.rule;
      }
    }
    return best;
  }

  /**
   * What a request on `path` may do. `list` is decided with the list lookup (an exact `a` pattern
   * also governs listing `a/`), so the answer predicts every operation exactly.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const clean = path.replace(/^\/+/, '');
    const granted = (rule: PathRule | undefined) =>
      rule && !rule.capabilities.has('deny') ? [...rule.capabilities] : [];
    const caps = new Set<string>(granted(this.ruleFor(clean)).filter((c) => c !== 'list'));
    if (granted(this.ruleFor(clean, true)).includes('list')) caps.add('list');
    return caps.size ? [...caps].sort() : ['deny'];
  }

  /** True when some rule could grant anything at or below `prefix` (used to show a mount to a token). */
  hasAccessUnder(prefix: string): boolean {
    if (this.isRoot) return true;
    const grants = (rule: PathRule) => rule.capabilities.size > 0 && !rule.capabilities.has('deny');
    for (const rule of [...this.exact.values(), ...this.prefixes.values(), ...this.plus.map((p) => p.rule)]) {
      const literal = rule.pattern.replace(/\*$/, '');
      const head = literal.split('+')[0];
      if (
        grants(rule) &&
        (literal.startsWith(prefix) ||
          prefix.startsWith(literal) ||
          head.startsWith(prefix) ||
          prefix.startsWith(head))
      )
        return true;
    }
    return false;
  }

  allowOperation(req: AllowRequest): Verdict {
    if (this.isRoot) return { allowed: true, isRoot: true };
    const path = req.path.replace(/^\/+/, '');
    const rule = this.ruleFor(path, req.operation === 'list');
    const deny = (reason: string): Verdict => ({ allowed: false, isRoot: false, reason });
    if (!rule || rule.capabilities.has('deny')) return deny('no rule grants access');
    if (!rule.capabilities.has(req.operation as Capability)) return deny(`missing ${req.operation}`);
    if (req.requiresSudo && !rule.capabilities.has('sudo')) return deny('sudo required');
    const wrap = req.wrapTtlSeconds ?? 0;
    if (rule.minWrappingTtl && wrap < rule.minWrappingTtl) return deny('wrapping TTL below the minimum');
    if (rule.maxWrappingTtl && wrap > rule.maxWrappingTtl) return deny('wrapping TTL above the maximum');
    if (req.operation !== 'list' && req.operation !== 'read') {
      const reason = checkParameters(rule, req.data ?? {});
      if (reason) return deny(reason);
    }
    return { allowed: true, isRoot: false };
  }
}

function matchesPlus(candidate: PlusRule, path: string): boolean {
  const parts = path.split('/');
  const { segments, glob } = candidate;
  if (glob ? parts.length < segments.length : parts.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i];
    const last = i === segments.length - 1;
    if (segment === '+') {
      if (part === '' && !(glob && last)) return false;
      continue;
    }
    if (last && glob) {
      // The final segment is a prefix: the rest of the path may continue from it.
      return [parts.slice(i).join('/')].some((rest) => rest.startsWith(segment));
    }
    if (segment !== part) return false;
  }
  return true;
}

function valueMatches(allowed: unknown, value: unknown): boolean {
  if (typeof allowed === 'string' && typeof value === 'string') {
    if (allowed === '*') return true;
    if (allowed.length > 1 && allowed.startsWith('*')) return value.endsWith(allowed.slice(1));
    if (allowed.length > 1 && allowed.endsWith('*')) return value.startsWith(allowed.slice(0, -1));
    return allowed === value;
  }
  return JSON.stringify(allowed) === JSON.stringify(value) || String(allowed) === String(value);
}

/** Vault checks each element when the request value is a list. */
function elementsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function checkParameters(rule: PathRule, data: Record<string, unknown>): string | undefined {
  const keys = Object.keys(data).map((k) => [k.toLowerCase(), data[k]] as const);
  for (const required of rule.requiredParameters ?? []) {
    if (!keys.some(([k]) => k === required)) return `missing required parameter ${required}`;
  }
  const denied = rule.deniedParameters;
  if (denied) {
    if (denied['*'] !== undefined && keys.length > 0) return 'all parameters denied';
    for (const [key, value] of keys) {
      const values = denied[key];
      if (values === undefined) continue;
      if (values.length === 0 || elementsOf(value).some((v) => values.some((d) => valueMatches(d, v)))) {
        return `parameter ${key} denied`;
      }
    }
  }
  const allowed = rule.allowedParameters;
  if (allowed) {
    for (const [key, value] of keys) {
      const values = allowed[key] ?? allowed['*'];
      if (values === undefined) return `parameter ${key} not allowed`;
      if (values.length > 0 && !elementsOf(value).every((v) => values.some((a) => valueMatches(a, v)))) {
        return `value of ${key} not allowed`;
      }
    }
  }
  return undefined;
}
