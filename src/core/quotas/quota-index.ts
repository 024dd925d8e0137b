/**
 * The rate-limit quotas in force, indexed for the lookup every request makes. The most specific
 * quota wins, as in Vault: a login role of an auth mount, then an exact path under a mount, then the
 * longest path glob, then the mount, then the global quota.
 */
import type { RateLimitQuota, RateLimitQuotaSpec } from './rate-limit-quota.js';

type Scope = Pick<RateLimitQuotaSpec, 'mountPath' | 'pathSuffix' | 'role'>;

/** One key per scope; two quotas may not share one (Vault: "similar properties"). */
function scopeKey(scope: Scope): string {
  return `${scope.mountPath}\n${scope.pathSuffix}\n${scope.role ?? ''}`;
}

export class QuotaIndex {
  private readonly byName = new Map<string, RateLimitQuota>();
  private readonly byScope = new Map<string, RateLimitQuota>();
  /** Glob quotas per mount, longest prefix first. */
  private readonly globs = new Map<string, RateLimitQuota[]>();
  /** Quotas narrower than global exist: only then does a request's mount need looking up. */
  private scoped = 0;
  /** Role quotas per mount: only for these mounts is a login's role worth resolving. */
  private readonly roles = new Map<string, Map<string, RateLimitQuota>>();

  get size(): number {
    return this.byName.size;
  }

  get(name: string): RateLimitQuota | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): RateLimitQuota[] {
    return [...this.byName.values()];
  }

  /** The quota already holding this scope, if any. */
  holding(scope: Scope): RateLimitQuota | undefined {
    return this.byScope.get(scopeKey(scope));
  }

  set(quota: RateLimitQuota): void {
    this.delete(quota.spec.name);
    const { spec } = quota;
    this.byName.set(spec.name, quota);
    this.byScope.set(scopeKey(spec), quota);
    if (spec.mountPath !== '') this.scoped++;
    if (spec.role) {
      const roles = this.roles.get(spec.mountPath) ?? new Map<string, RateLimitQuota>();
      roles.set(spec.role, quota);
      this.roles.set(spec.mountPath, roles);
    } else if (spec.pathSuffix.endsWith('*')) {
      const list = [...(this.globs.get(spec.mountPath) ?? []), quota];
      list.sort((a, b) => b.spec.pathSuffix.length - a.spec.pathSuffix.length);
      this.globs.set(spec.mountPath, list);
    }
  }

  delete(name: string): void {
    const quota = this.byName.get(name);
    if (!quota) return;
    const { spec } = quota;
    this.byName.delete(name);
    // Only its own scope entry: a scope is never shared (RateLimits checks), but deleting another
    // quota's entry would leave that one listed and enforced nowhere.
    if (this.byScope.get(scopeKey(spec)) === quota) this.byScope.delete(scopeKey(spec));
    if (spec.mountPath !== '') this.scoped--;
    const roles = this.roles.get(spec.mountPath);
    if (spec.role && roles?.get(spec.role) === quota) {
      roles.delete(spec.role);
      if (roles.size === 0) this.roles.delete(spec.mountPath);
    }
    const globs = this.globs.get(spec.mountPath)?.filter((q) => q !== quota);
    if (globs?.length) this.globs.set(spec.mountPath, globs);
    else this.globs.delete(spec.mountPath);
  }

  /** Whether any role quota exists (one map lookup: the cost a request pays when none does). */
  get hasRoles(): boolean {
    return this.roles.size > 0;
  }

  /** Whether a role quota exists on this mount (route prefix). */
  hasRolesOn(mountPath: string): boolean {
    return this.roles.has(mountPath);
  }

  /**
   * `mountOf` gives the route prefix of the mount serving a path, asked only when needed; `role` is
   * the login role the request's body resolved to, if any.
   */
  find(
    path: string,
    mountOf: (path: string) => string | undefined,
    role?: string,
  ): RateLimitQuota | undefined {
    const global = this.byScope.get('\n\n');
    if (this.scoped === 0) return global;
    const mountPath = mountOf(path);
    if (mountPath === undefined) return global;
    const suffix = path.length > mountPath.length ? path.slice(mountPath.length).replace(/\/$/, '') : '';
    // At the mount's root (empty suffix) no exact path matches, so a `mount/*` glob beats the mount's
    // own quota there, as in Vault (its index has no entry for an empty path).
    return (
      (role ? this.roles.get(mountPath)?.get(role) : undefined) ??
      (suffix === '' ? undefined : this.byScope.get(`${mountPath}\n${suffix}\n`)) ??
      this.globs.get(mountPath)?.find((q) => suffix.startsWith(q.spec.pathSuffix.slice(0, -1))) ??
      this.byScope.get(`${mountPath}\n\n`) ??
      global
    );
  }
}
