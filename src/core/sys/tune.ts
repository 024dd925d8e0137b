/** Mount tuning: the fields `sys/mounts/:path/tune` accepts and the effective settings it reports. */
import { type LockoutSettings, parseLockoutThreshold } from '../../auth/user-lockout.js';
import { parseDurationSeconds } from '../../framework/duration.js';
import { field, type Input, isPlainObject } from '../../framework/fields.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';
import { lockoutToWire, type MountConfig, type MountEntry } from '../mounts.js';

export const tuneFields = {
  description: field.string('New description.', { max: 4096 }),
  default_lease_ttl: field.any('Default lease TTL; "system" resets it.'),
  max_lease_ttl: field.any('Max lease TTL; "system" resets it.'),
  force_no_cache: field.bool('Disable caching.'),
  options: field.map('Engine options.'),
  listing_visibility: field.string('"unauth" to list without a token in the UI.'),
  audit_non_hmac_request_keys: field.stringList('Request keys audit devices leave un-HMACed.'),
  audit_non_hmac_response_keys: field.stringList('Response keys audit devices leave un-HMACed.'),
  passthrough_request_headers: field.stringList('Headers passed to the engine.'),
  allowed_response_headers: field.stringList('Headers the engine may set.'),
  token_type: field.string('Token type for auth mounts.'),
  plugin_version: field.string('Plugin version.'),
  user_lockout_config: field.any(
    'User lockout: lockout_threshold, lockout_duration, lockout_counter_reset_duration, lockout_disable.',
  ),
};

/** Auth methods whose logins count failures here (as in Vault); others refuse the setting. */
const LOCKOUT_TYPES = new Set(['userpass', 'approle', 'ldap']);

/** A duration field of `user_lockout_config`: "" leaves it, "system" resets it to the server's. */
function lockoutDuration(value: unknown, name: string, previous: number | undefined): number | undefined {
  if (value === undefined || value === '') return previous;
  if (value === 'system') return undefined;
  const seconds = parseDurationSeconds(value, name);
  if (seconds < 0) throw invalid(`"${name}" cannot be negative`);
  return seconds || undefined;
}

function lockoutSettings(entry: MountEntry, raw: unknown): LockoutSettings | undefined {
  const previous = entry.config.userLockout;
  if (raw === undefined || raw === null) return previous;
  if (!isPlainObject(raw)) throw invalid('unable to convert given user lockout config information');
  if (Object.keys(raw).length === 0) return previous;
  if (entry.table !== 'auth' || !LOCKOUT_TYPES.has(entry.type)) {
    throw invalid(`tuning of user lockout configuration for auth type "${entry.type}" not allowed`);
  }
  const next: LockoutSettings = { ...previous };
  if (raw.lockout_threshold !== undefined && raw.lockout_threshold !== '')
    next.threshold = parseLockoutThreshold(raw.lockout_threshold, () =>
      invalid('unable to parse user lockout threshold'),
    );
  next.durationSeconds = lockoutDuration(raw.lockout_duration, 'lockout_duration', previous?.durationSeconds);
  next.counterResetSeconds = lockoutDuration(
    raw.lockout_counter_reset_duration ?? raw.lockout_counter_reset,
    'lockout_counter_reset_duration',
    previous?.counterResetSeconds,
  );
  const disable = raw.lockout_disable ?? raw.disable_lockout;
  if (disable !== undefined) {
    if (disable !== true && disable !== false && disable !== 'true' && disable !== 'false')
      throw invalid('lockout_disable must be a boolean');
    next.disable = disable === true || disable === 'true';
  }
  return next;
}

function ttlValue(value: unknown, name: string): number {
  if (value === 'system' || value === '' || value === undefined) return 0;
  const seconds = parseDurationSeconds(value, name);
  if (seconds < 0) throw invalid(`"${name}" cannot be negative`);
  return seconds;
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The `config` object of an enable request. */
export function parseMountConfig(config: Record<string, unknown>): Partial<MountConfig> {
  if (!isPlainObject(config)) throw invalid('config must be an object');
  const out: Partial<MountConfig> = {
    defaultLeaseTtl: ttlValue(config.default_lease_ttl, 'default_lease_ttl'),
    maxLeaseTtl: ttlValue(config.max_lease_ttl, 'max_lease_ttl'),
    forceNoCache: config.force_no_cache === true || config.force_no_cache === 'true',
  };
  if (out.maxLeaseTtl && out.defaultLeaseTtl && out.defaultLeaseTtl > out.maxLeaseTtl) {
    throw invalid('given default lease TTL greater than given max lease TTL');
  }
  if (config.listing_visibility !== undefined) out.listingVisibility = visibility(config.listing_visibility);
  out.auditNonHmacRequestKeys = stringList(config.audit_non_hmac_request_keys);
  out.auditNonHmacResponseKeys = stringList(config.audit_non_hmac_response_keys);
  out.passthroughRequestHeaders = stringList(config.passthrough_request_headers);
  out.allowedResponseHeaders = stringList(config.allowed_response_headers);
  if (typeof config.token_type === 'string') out.tokenType = config.token_type;
  return out;
}

function visibility(value: unknown): string {
  if (value !== 'unauth' && value !== 'hidden' && value !== '') throw invalid('invalid listing_visibility');
  return value;
}

export function applyTune(core: Core, entry: MountEntry, input: Input<typeof tuneFields>): MountEntry {
  const config: MountConfig = { ...entry.config };
  // An empty value leaves the setting alone (the vault CLI sends "" for every TTL flag not given);
  // only "system" (or 0) goes back to the server's default.
  if (input.default_lease_ttl !== undefined && input.default_lease_ttl !== '')
    config.defaultLeaseTtl = ttlValue(input.default_lease_ttl, 'default_lease_ttl');
  if (input.max_lease_ttl !== undefined && input.max_lease_ttl !== '')
    config.maxLeaseTtl = ttlValue(input.max_lease_ttl, 'max_lease_ttl');
  const max = config.maxLeaseTtl || core.options.maxLeaseTtl;
  if (config.defaultLeaseTtl > max)
    throw invalid('given default lease TTL greater than backend max lease TTL');
  if (input.force_no_cache !== undefined) config.forceNoCache = input.force_no_cache;
  if (input.listing_visibility !== undefined) config.listingVisibility = visibility(input.listing_visibility);
  if (input.audit_non_hmac_request_keys) config.auditNonHmacRequestKeys = input.audit_non_hmac_request_keys;
  if (input.audit_non_hmac_response_keys)
    config.auditNonHmacResponseKeys = input.audit_non_hmac_response_keys;
  if (input.passthrough_request_headers) config.passthroughRequestHeaders = input.passthrough_request_headers;
  if (input.allowed_response_headers) config.allowedResponseHeaders = input.allowed_response_headers;
  config.userLockout = lockoutSettings(entry, input.user_lockout_config);
  if (input.token_type !== undefined) {
    if (entry.table !== 'auth') throw invalid('token_type can only be set on auth mounts');
    config.tokenType = input.token_type;
  }
  let options = entry.options;
  if (input.options) {
    if (input.options.version !== undefined && entry.type !== 'kv') {
      throw invalid(`secrets engine "${entry.type}" does not allow setting a version`);
    }
    if (entry.options?.version === '2' && input.options.version === '1') {
      throw invalid('cannot downgrade mount from versioned to unversioned');
    }
    options = { ...(entry.options ?? {}), ...input.options };
  }
  return { ...entry, description: input.description ?? entry.description, config, options };
}

export function tuneToWire(core: Core, entry: MountEntry): Record<string, unknown> {
  const mounts = core.unsealed.mounts;
  const out: Record<string, unknown> = {
    description: entry.description,
    default_lease_ttl: mounts.defaultTtl(entry),
    max_lease_ttl: mounts.maxTtl(entry),
    force_no_cache: entry.config.forceNoCache,
  };
  if (entry.options) out.options = entry.options;
  if (entry.config.listingVisibility) out.listing_visibility = entry.config.listingVisibility;
  if (entry.config.auditNonHmacRequestKeys?.length)
    out.audit_non_hmac_request_keys = entry.config.auditNonHmacRequestKeys;
  if (entry.config.auditNonHmacResponseKeys?.length)
    out.audit_non_hmac_response_keys = entry.config.auditNonHmacResponseKeys;
  if (entry.config.passthroughRequestHeaders?.length)
    out.passthrough_request_headers = entry.config.passthroughRequestHeaders;
  if (entry.config.allowedResponseHeaders?.length)
    out.allowed_response_headers = entry.config.allowedResponseHeaders;
  if (entry.table === 'auth') out.token_type = entry.config.tokenType ?? 'default-service';
  if (entry.config.userLockout) Object.assign(out, lockoutToWire(entry.config.userLockout));
  return out;
}
