/**
 * Vault's rate-limit quotas while the barrier is open: the configuration and the quotas, stored behind
 * the barrier (`sys/quotas/`), loaded at unseal and dropped at seal with the rest of the unsealed state,
 * so a sealed server limits nothing (as Vault, whose quota manager is reset on seal).
 */
import type { Clock } from '../../framework/clock.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { Logger } from '../../framework/log.js';
import type { StorageView } from '../../framework/storage-view.js';
import { invalid } from '../errors.js';
import { DEFAULT_EXEMPT_PATHS, ExemptPaths } from './exempt-paths.js';
import { QuotaIndex } from './quota-index.js';
import { RateLimitQuota, type RateLimitQuotaSpec, type RateLimitVerdict } from './rate-limit-quota.js';

export interface QuotaConfig {
  auditRejections: boolean;
  responseHeaders: boolean;
  exemptPaths: readonly string[];
}

/**
 * The stored configuration; its exempt paths stay absent until an operator sets them (until then,
 * Vault's defaults). A quota is stored as its spec.
 */
interface StoredConfig {
  enable_rate_limit_audit_logging?: boolean;
  enable_rate_limit_response_headers?: boolean;
  rate_limit_exempt_paths?: string[];
}

const CONFIG_KEY = 'config';
const QUOTA_FOLDER = 'rate-limit/';

export interface RateLimitsDeps {
  storage: StorageView;
  clock: Clock;
  log: Logger;
  /** The route prefix of the mount serving a request path. */
  mountOf(path: string): string | undefined;
  /** The role a login body names on this auth mount (the engine's resolveRole); undefined for none. */
  resolveRole(mountPath: string, data: Record<string, unknown>): Promise<string | undefined>;
}

export class RateLimits {
  private readonly index = new QuotaIndex();
  private exempt = new ExemptPaths(DEFAULT_EXEMPT_PATHS);
  config: QuotaConfig = { auditRejections: false, responseHeaders: false, exemptPaths: DEFAULT_EXEMPT_PATHS };
  /** Whether any quota exists: the one check a request makes when none does. */
  get active(): boolean {
    return this.index.size > 0;
  }
  /**
   * Every change runs alone: a scope check and its write must not interleave with another's, or two
   * concurrent creates (Terraform applies ten at a time) both pass the check and share one scope.
   */
  private readonly writes = new KeyedMutex();

  constructor(private readonly deps: RateLimitsDeps) {}

  /** Reads the configuration and every quota. An unreadable quota is skipped and logged, as Vault does. */
  async load(): Promise<void> {
    const stored = await this.deps.storage.getJson<StoredConfig>(CONFIG_KEY);
    if (stored) this.applyConfig(configFromStored(stored));
    for (const name of await this.deps.storage.list(QUOTA_FOLDER)) {
      try {
        const spec = await this.deps.storage.getJson<RateLimitQuotaSpec>(QUOTA_FOLDER + name);
        if (!spec) continue;
        // Only a store written before writes were serialised can hold two; the first one loaded keeps
        // the scope, and the other is reported rather than silently shadowed.
        const holder = this.sameScope(spec);
        if (holder) {
          this.deps.log.warn('skipping a rate-limit quota whose scope another quota already holds', {
            name,
            holder,
          });
          continue;
        }
        this.index.set(new RateLimitQuota(spec));
      } catch (error) {
        this.deps.log.warn('skipping a rate-limit quota that cannot be read', {
          name,
          error: error instanceof Error ? error.name : 'error',
        });
      }
    }
  }

  /**
   * The verdict for one request, or undefined when no quota applies (an exempt path, or no quota for
   * its scope). `client` is the address the listener trusts (X-Forwarded-For resolved).
   */
  check(path: string, client: string, role?: string): RateLimitVerdict | undefined {
    if (this.exempt.has(path)) return undefined;
    return this.index.find(path, this.deps.mountOf, role)?.allow(client, this.deps.clock.now());
  }

  /**
   * The auth mount whose role quotas apply to this request, when it is a login there: only then is
   * its body worth reading before the check. Without any role quota this is one property read.
   */
  loginWithRoles(path: string): string | undefined {
    if (!this.index.hasRoles || this.exempt.has(path)) return undefined;
    const mountPath = this.deps.mountOf(path);
    if (mountPath === undefined || !this.index.hasRolesOn(mountPath)) return undefined;
    return path.slice(mountPath.length).replace(/\/$/, '') === 'login' ? mountPath : undefined;
  }

  /** The role a login body resolves to; a failure resolves none, as in Vault. */
  async roleOf(mountPath: string, data: Record<string, unknown>): Promise<string | undefined> {
    try {
      return await this.deps.resolveRole(mountPath, data);
    } catch {
      return undefined;
    }
  }

  writeConfig(config: QuotaConfig): Promise<void> {
    return this.serialised(async () => {
      await this.deps.storage.putJson(CONFIG_KEY, {
        enable_rate_limit_audit_logging: config.auditRejections,
        enable_rate_limit_response_headers: config.responseHeaders,
        rate_limit_exempt_paths: [...config.exemptPaths],
      } satisfies StoredConfig);
      this.applyConfig(config);
    });
  }

  get(name: string): RateLimitQuotaSpec | undefined {
    return this.index.get(name)?.spec;
  }

  names(): string[] {
    return this.index.names();
  }

  /** The name of another quota on the same scope, which Vault refuses to duplicate. */
  private sameScope(spec: RateLimitQuotaSpec): string | undefined {
    const holder = this.index.holding(spec);
    return holder && holder.spec.name !== spec.name ? holder.spec.name : undefined;
  }

  /**
   * Creates or replaces a quota; a replaced quota's counters start afresh, as in Vault. Refused when
   * another quota holds the same scope.
   */
  create(spec: RateLimitQuotaSpec): Promise<void> {
    return this.serialised(() => {
      const holder = this.sameScope(spec);
      if (holder)
        throw invalid(`quota rule with similar properties exists under the name ${JSON.stringify(holder)}`);
      return this.put(spec);
    });
  }

  remove(name: string): Promise<void> {
    return this.serialised(() => this.removeNow(name));
  }

  /** A mount was disabled (`to` undefined) or moved: its quotas go with it, as in Vault. */
  mountMoved(from: string, to: string | undefined): Promise<void> {
    return this.serialised(async () => {
      for (const quota of this.index.all()) {
        if (quota.spec.mountPath !== from) continue;
        if (to === undefined) await this.removeNow(quota.spec.name);
        else await this.put({ ...quota.spec, mountPath: to });
      }
    });
  }

  private serialised<T>(change: () => Promise<T>): Promise<T> {
    return this.writes.run('quotas', change);
  }

  private async put(spec: RateLimitQuotaSpec): Promise<void> {
    await this.deps.storage.putJson(QUOTA_FOLDER + spec.name, spec);
    this.index.set(new RateLimitQuota(spec));
  }

  private async removeNow(name: string): Promise<void> {
    await this.deps.storage.delete(QUOTA_FOLDER + name);
    this.index.delete(name);
  }

  private applyConfig(config: QuotaConfig): void {
    this.config = config;
    this.exempt = new ExemptPaths(config.exemptPaths);
  }
}

function configFromStored(stored: StoredConfig): QuotaConfig {
  return {
    auditRejections: stored.enable_rate_limit_audit_logging === true,
    responseHeaders: stored.enable_rate_limit_response_headers === true,
    exemptPaths: stored.rate_limit_exempt_paths ?? DEFAULT_EXEMPT_PATHS,
  };
}
