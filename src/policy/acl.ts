/**
 * A token's compiled ACL: its policies' rules merged per pattern once, then each request is one Map probe,
 * one trie walk and a segment-trie descent, following Vault's acl.go (exact, then the highest-priority of
 * the longest `*` prefix and the matching `+` patterns; `deny` in the chosen rule beats everything).
 */
import { parameterViolation } from './parameters.js';
import type { Policy } from './parse.js';
import { grantsAnything, mergePermissions, type Permissions, permissionsOf } from './permissions.js';
import { hasSegmentWildcards, type IndexedRule, indexedRule, RuleIndex } from './rule-index.js';
import { type IdentityContext, renderPattern } from './template.js';

export { isSudoPath } from './sudo-paths.js';
export type { EntityAlias, IdentityContext, IdentityGroup } from './template.js';

export type AclOperation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list';

export interface AllowRequest {
  path: string;
  operation: AclOperation;
  /** The request's top-level data keys, as the client sent them (defaults are not seen). */
  data?: Record<string, unknown>;
  /** The wrap TTL the client asked for; undefined when the response is not to be wrapped. */
  wrapTtlSeconds?: number;
  /** The path is root-protected (`isSudoPath`, or a handler's own rule). */
  requiresSudo?: boolean;
}

export interface Verdict {
  allowed: boolean;
  isRoot: boolean;
  /** The matched rule grants sudo (Vault's RootPrivs): what a handler checks for privileged fields. */
  sudo?: boolean;
  /** For logs and tests only: the client always sees a plain `permission denied`. */
  reason?: string;
}

/** Operations whose data Vault checks against parameter constraints (acl.go: not delete, not list). */
const PARAMETER_OPERATIONS = new Set<AclOperation>(['read', 'create', 'update', 'patch']);
/** The capabilities that show a mount to a token (vault/router hasMountAccess). */
const MOUNT_VISIBLE = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'] as const;

const stripLeadingSlashes = (path: string) => (path.startsWith('/') ? path.replace(/^\/+/, '') : path);
const isDeny = (rule: IndexedRule | undefined) => rule?.perms.capabilities.has('deny') ?? false;

/** acl.go: a wrapping bound makes wrapping mandatory, and the requested TTL must sit inside the bounds. */
function wrappingViolation(perms: Permissions, ttl: number | undefined): string | undefined {
  const { minWrappingTtl: min, maxWrappingTtl: max } = perms;
  if (max > 0 && (ttl === undefined || ttl > max)) return 'wrapping TTL above max_wrapping_ttl or missing';
  if (min > 0 && (ttl === undefined || ttl < min)) return 'wrapping TTL below min_wrapping_ttl or missing';
  // Merged policies can leave min above max; nothing can satisfy both.
  if (min > 0 && max > 0 && max < min) return 'max_wrapping_ttl is below min_wrapping_ttl';
  return undefined;
}

/** Vault's bare-mount walk of a `+` pattern: do its first segments cover the mount path (`secret/`)? */
function segmentRuleCoversMount(rule: IndexedRule, mountPath: string): boolean {
  const parts = mountPath.split('/');
  const segments = rule.wcPath.split('/');
  const matched: string[] = [];
  for (let i = 0; i < segments.length && i <= parts.length - 2; i++) {
    const segment = segments[i];
    if (segment === '+' || segment === parts[i]) matched.push(parts[i]);
    else if (rule.isPrefix && i === segments.length - 1 && parts[i].startsWith(segment))
      matched.push(...parts.slice(i));
    if (i === parts.length - 2) return `${matched.join('/')}/`.startsWith(mountPath);
  }
  return false;
}

export class Acl {
  readonly isRoot: boolean;
  private readonly index = new RuleIndex();

  /** Compiles the policies; templated paths are rendered with `identity`, and dropped when they cannot be. */
  constructor(policies: readonly Policy[], identity: IdentityContext = {}) {
    this.isRoot = policies.some((p) => p.name === 'root');
    const merged = new Map<string, Permissions>();
    for (const policy of policies) {
      for (const rule of policy.rules) {
        const pattern = renderPattern(rule.pattern, identity);
        if (pattern === undefined) continue; // an unrenderable template grants nothing, never more
        const existing = merged.get(pattern);
        merged.set(pattern, existing ? mergePermissions(existing, rule) : permissionsOf(rule));
      }
    }
    for (const [pattern, perms] of merged) this.index.add(indexedRule(pattern, perms));
  }

  /**
   * The one rule governing a request (acl.go AllowOperation). A list request also accepts an exact
   * pattern without the trailing `/`, and tries the `*`/`+` patterns on the path without it first.
   */
  private ruleFor(path: string, list: boolean): IndexedRule | undefined {
    const exact = this.index.exact(path);
    if (exact) return exact;
    if (!list || !path.endsWith('/')) return this.index.nonExact(path);
    const folder = path.slice(0, -1);
    const named = this.index.exact(folder);
    if (named) return named;
    const outer = this.index.nonExact(folder);
    if (!outer) return this.index.nonExact(path);
    // GHSA-xp3c-3jw3-4vcr: a deny on `folder/*` must not be skipped because a `+` or shorter glob
    // grants list on `folder`.
    const inner = this.index.nonExact(path);
    return isDeny(inner) ? inner : outer;
  }

  /**
   * What the token may do on `path`, sorted; `["deny"]` for nothing, `["root"]` for root. `list` is decided
   * by the list lookup and the rest by the plain one, so the answer predicts `allowOperation` exactly.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const clean = stripLeadingSlashes(path);
    const direct = this.ruleFor(clean, false);
    const caps = new Set<string>();
    if (direct && !isDeny(direct))
      for (const cap of direct.perms.capabilities) if (cap !== 'list' && cap !== 'sudo') caps.add(cap);
    const listing = clean.endsWith('/') ? this.ruleFor(clean, true) : direct;
    const lists = listing !== undefined && !isDeny(listing) && listing.perms.capabilities.has('list');
    if (lists) caps.add('list');
    // `sudo` comes from the rule that allowed `list`: a LIST of a root-protected `sys/leases/lookup/` under
    // `sys/+/+` ["list","sudo"] is allowed, so sudo is reported (Vault looks every path up as a list).
    const sudoRule = lists ? listing : direct;
    if (sudoRule && !isDeny(sudoRule) && sudoRule.perms.capabilities.has('sudo')) caps.add('sudo');
    return caps.size > 0 ? [...caps].sort() : ['deny'];
  }

  allowOperation(req: AllowRequest): Verdict {
    if (this.isRoot) return { allowed: true, isRoot: true };
    const deny = (reason: string): Verdict => ({ allowed: false, isRoot: false, reason });
    const rule = this.ruleFor(stripLeadingSlashes(req.path), req.operation === 'list');
    if (!rule) return deny('no rule matches the path');
    const caps = rule.perms.capabilities;
    if (caps.has('deny')) return deny(`path "${rule.pattern}" is denied`);
    if (!caps.has(req.operation)) return deny(`path "${rule.pattern}" does not grant ${req.operation}`);
    if (req.requiresSudo && !caps.has('sudo')) return deny(`path "${rule.pattern}" does not grant sudo`);
    const wrapping = wrappingViolation(rule.perms, req.wrapTtlSeconds);
    if (wrapping) return deny(wrapping);
    if (PARAMETER_OPERATIONS.has(req.operation)) {
      const violation = parameterViolation(rule.perms, req.data ?? {});
      if (violation) return deny(violation);
    }
    return { allowed: true, isRoot: false, sudo: caps.has('sudo') };
  }

  /**
   * Whether the token may see a mount (`secret/`): some capability on the mount path itself, or some
   * granting rule at or below it (vault/router hasMountAccess), so a mount can be listed without leaking.
   */
  hasAccessUnder(mountPath: string): boolean {
    if (this.isRoot) return true;
    const path = stripLeadingSlashes(mountPath);
    if (!this.capabilities(path).includes('deny')) return true;
    const visible = (rule: IndexedRule) =>
      !isDeny(rule) && MOUNT_VISIBLE.some((cap) => rule.perms.capabilities.has(cap));
    return this.index.all.some((rule) =>
      hasSegmentWildcards(rule.pattern)
        ? grantsAnything(rule.perms) && segmentRuleCoversMount(rule, path)
        : rule.wcPath.startsWith(path) && visible(rule),
    );
  }
}
