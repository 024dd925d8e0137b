/** `sys/quotas/config` and `sys/quotas/rate-limit/:name`: Vault's rate-limit quotas (lease-count quotas are Enterprise). */
import { field, type Input } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid, notFound } from '../errors.js';
import { routePrefix } from '../mounts.js';
import type { RateLimitQuotaSpec } from '../quotas/rate-limit-quota.js';

const configFields = {
  rate_limit_exempt_paths: field.stringList('Paths no rate-limit quota applies to; empty exempts none.'),
  enable_rate_limit_audit_logging: field.bool('Audit the requests a rate-limit quota refuses.'),
  enable_rate_limit_response_headers: field.bool('Send Retry-After and X-Ratelimit-* headers.'),
};

const quotaFields = {
  name: field.string('Name of the quota rule.', { max: 512 }),
  type: field.string('Type of the quota rule (ignored, as in Vault).', { max: 64 }),
  path: field.string('Mount, or path under a mount, the quota applies to; empty for a global quota.', {
    max: 4096,
  }),
  rate: field.float('Requests allowed per interval from one client address; must be positive.'),
  interval: field.duration('The window the rate counts over; "1s" when unset.'),
  block_interval: field.duration('How long a client that went over the rate is refused outright.'),
  role: field.string('Login role of the auth mount at `path` to limit; its logins get this quota.', {
    max: 512,
  }),
  inheritable: field.bool('Whether child namespaces inherit the quota (only global quotas are).'),
};

/** Vault's GenericNameRegex: a quota name outside it matches no route. */
const QUOTA_NAME = /^\w(?:[\w.-]*\w)?$/;

function readConfig(core: Core) {
  const config = core.unsealed.rateLimits.config;
  return {
    data: {
      enable_rate_limit_audit_logging: config.auditRejections,
      enable_rate_limit_response_headers: config.responseHeaders,
      rate_limit_exempt_paths: [...config.exemptPaths],
    },
  };
}

/** Vault replaces all three settings on every write: one left out goes back to false or empty. */
async function writeConfig(core: Core, input: Input<typeof configFields>) {
  await core.unsealed.rateLimits.writeConfig({
    auditRejections: input.enable_rate_limit_audit_logging ?? false,
    responseHeaders: input.enable_rate_limit_response_headers ?? false,
    exemptPaths: input.rate_limit_exempt_paths ?? [],
  });
}

/** Splits `path` into the mount it names and what follows, as Vault does; an unknown mount is a 400. */
function scopeOf(core: Core, rawPath: string): Pick<RateLimitQuotaSpec, 'mountPath' | 'pathSuffix'> {
  // Vault's sanitizePath: one trailing slash added, leading slashes dropped.
  const path = `${rawPath.endsWith('/') ? rawPath : `${rawPath}/`}`.replace(/^\/+/, '');
  if (path === '') return { mountPath: '', pathSuffix: '' };
  const entry = core.unsealed.mounts.table.match(path);
  if (!entry) throw invalid(`invalid mount path ${JSON.stringify(path)}`);
  const mountPath = routePrefix(entry);
  return { mountPath, pathSuffix: path.slice(mountPath.length).replace(/\/$/, '') };
}

function quotaName(input: { name?: string }): string {
  const name = input.name ?? '';
  if (!QUOTA_NAME.test(name)) throw notFound('unsupported path');
  return name;
}

/** Vault's checks, in Vault's order; every write replaces the whole quota. */
function specOf(core: Core, input: Input<typeof quotaFields>): RateLimitQuotaSpec {
  const name = quotaName(input);
  const rate = input.rate ?? 0;
  if (!(rate > 0)) throw invalid("'rate' is invalid");
  const interval = input.interval ?? 0;
  // Vault stores a negative interval and then counts per second; refused here instead.
  if (interval < 0) throw invalid("'interval' is invalid");
  const blockInterval = input.block_interval ?? 0;
  if (blockInterval < 0) throw invalid("'block' is invalid");
  const scope = scopeOf(core, input.path ?? '');
  const role = input.role ?? '';
  if (role) checkRoleScope(core, scope);
  // Without namespaces, the global quota is the only namespace quota, and it is always inherited.
  if (input.inheritable === true && scope.mountPath !== '')
    throw invalid('only namespace quotas can be configured as inheritable');
  if (input.inheritable === false && scope.mountPath === '')
    throw invalid('all global quotas must be inheritable');
  return {
    name,
    ...scope,
    ...(role ? { role } : {}),
    rate,
    intervalSeconds: interval || 1,
    blockIntervalSeconds: blockInterval,
  };
}

/** Vault's checks for a role quota: a whole auth mount whose method resolves a login's role. */
function checkRoleScope(core: Core, scope: Pick<RateLimitQuotaSpec, 'mountPath' | 'pathSuffix'>): void {
  if (scope.pathSuffix !== '')
    throw invalid(
      'Quotas cannot contain both a path suffix and a role. If a role is provided, path must be a valid auth mount with a concept of roles',
    );
  const runtime = scope.mountPath === '' ? undefined : core.unsealed.mounts.route(scope.mountPath);
  if (!runtime || !scope.mountPath.startsWith('auth/'))
    throw invalid(
      `Mount path ${JSON.stringify(scope.mountPath)} is not a valid auth method and therefore unsuitable for use with role-based quotas`,
    );
  if (!runtime.engine.resolveRole)
    throw invalid(
      `Mount path ${JSON.stringify(scope.mountPath)} does not support use with role-based quotas`,
    );
}

async function writeQuota(core: Core, input: Input<typeof quotaFields>) {
  const spec = specOf(core, input);
  await core.unsealed.rateLimits.create(spec);
}

function readQuota(core: Core, input: { name?: string }) {
  const spec = core.unsealed.rateLimits.get(quotaName(input));
  if (!spec) return undefined;
  return {
    data: {
      block_interval: spec.blockIntervalSeconds,
      inheritable: spec.mountPath === '',
      interval: spec.intervalSeconds,
      name: spec.name,
      path: spec.mountPath + spec.pathSuffix,
      rate: spec.rate,
      role: spec.role ?? '',
      type: 'rate-limit',
    },
  };
}

export function quotaPaths(core: Core) {
  return [
    definePath({
      pattern: 'quotas/config',
      fields: configFields,
      operations: { read: () => readConfig(core), update: (_ctx, input) => writeConfig(core, input) },
      help: 'Read or set the exempt paths, audit logging and response headers of rate-limit quotas.',
    }),
    definePath({
      pattern: 'quotas/rate-limit/',
      operations: { list: () => ({ data: { keys: core.unsealed.rateLimits.names() } }) },
      help: 'List the rate-limit quotas.',
    }),
    definePath({
      pattern: 'quotas/rate-limit/:name',
      fields: quotaFields,
      operations: {
        read: (_ctx, input) => readQuota(core, input),
        update: (_ctx, input) => writeQuota(core, input),
        // Idempotent, as in Vault: deleting a quota that does not exist succeeds.
        delete: (_ctx, input) => core.unsealed.rateLimits.remove(quotaName(input)),
      },
      help: 'Create, read, update or delete a rate-limit quota, applied to each client address.',
    }),
  ];
}
