/** Flags, request bodies and list tables shared by `secrets …` and `auth …` (both are mount tables). */
import { formatGoDuration } from '../../client/duration.js';
import { isRecord } from '../../client/secret.js';
import type { MountConfigInput, MountInput, MountTable } from '../../client/sys.js';
import type { FlagDef, ParsedFlags } from '../flags.js';
import { goValue } from '../format/values.js';

const f = (name: string, kind: FlagDef['kind'], usage: string): FlagDef => ({ name, kind, usage });

const common: FlagDef[] = [
  f('description', 'string', 'Human-friendly description.'),
  f('default-lease-ttl', 'duration', 'Default lease TTL ("system" for the server default).'),
  f('max-lease-ttl', 'duration', 'Maximum lease TTL ("system" for the server default).'),
  f('audit-non-hmac-request-keys', 'stringSlice', 'Request key audit devices leave un-HMACed; repeatable.'),
  f('audit-non-hmac-response-keys', 'stringSlice', 'Response key audit devices leave un-HMACed; repeatable.'),
  f('listing-visibility', 'string', '"unauth" to list the mount in the UI without a token, or "hidden".'),
  f('passthrough-request-headers', 'stringSlice', 'Request header passed to the backend; repeatable.'),
  f('allowed-response-headers', 'stringSlice', 'Response header the backend may set; repeatable.'),
  f('options', 'stringMap', 'Mount option as key=value; repeatable.'),
  f('version', 'int', 'Engine version (kv: 1 or 2); same as -options=version=N.'),
  f('plugin-version', 'string', 'Plugin version (built-ins only).'),
];

export const enableFlags = (kind: 'secrets' | 'auth'): FlagDef[] => [
  ...common,
  f('path', 'string', `Mount path (default: the ${kind === 'auth' ? 'method' : 'engine'} type).`),
  f('plugin-name', 'string', 'Plugin name, with TYPE "plugin".'),
  f('local', 'bool', 'Local to this cluster: not replicated.'),
  f('seal-wrap', 'bool', 'Seal-wrap critical values.'),
  f('external-entropy-access', 'bool', 'Let the mount use external entropy.'),
  ...(kind === 'secrets' ? [f('force-no-cache', 'bool', 'Disable caching for this mount.')] : []),
  ...(kind === 'auth'
    ? [f('token-type', 'string', 'Token type issued: service, batch, default-service, default-batch.')]
    : []),
];

export const tuneFlags = (kind: 'secrets' | 'auth'): FlagDef[] => [
  ...common,
  ...(kind === 'auth'
    ? [
        f('token-type', 'string', 'Token type issued by this method.'),
        f('user-lockout-threshold', 'int', 'Failed logins before a user is locked out (userpass).'),
        f('user-lockout-duration', 'duration', 'How long a locked-out user stays locked.'),
        f(
          'user-lockout-counter-reset-duration',
          'duration',
          'Quiet time after which failures are forgotten.',
        ),
        f('user-lockout-disable', 'bool', 'Disable user lockout for this method.'),
      ]
    : []),
];

/** vault auth tune's `user_lockout_config`: only the lockout flags that were given. */
function userLockoutConfig(flags: ParsedFlags): Record<string, unknown> | undefined {
  const config: Record<string, unknown> = {};
  if (flags.isSet('user-lockout-threshold'))
    config.lockout_threshold = String(flags.int('user-lockout-threshold'));
  if (flags.isSet('user-lockout-duration'))
    config.lockout_duration = ttlToApi(flags.duration('user-lockout-duration'));
  if (flags.isSet('user-lockout-counter-reset-duration'))
    config.lockout_counter_reset_duration = ttlToApi(flags.duration('user-lockout-counter-reset-duration'));
  if (flags.isSet('user-lockout-disable')) config.lockout_disable = flags.bool('user-lockout-disable');
  return Object.keys(config).length ? config : undefined;
}

function options(flags: ParsedFlags): Record<string, string> | null {
  const opts = { ...(flags.map('options') ?? {}) };
  if (flags.int('version') > 0) opts.version = String(flags.int('version'));
  return Object.keys(opts).length ? opts : null;
}

/** The optional config fields, sent only when their flag was given (vault's `f.Visit`). */
function visited(flags: ParsedFlags, config: MountConfigInput): MountConfigInput {
  const lists = {
    'audit-non-hmac-request-keys': 'audit_non_hmac_request_keys',
    'audit-non-hmac-response-keys': 'audit_non_hmac_response_keys',
    'passthrough-request-headers': 'passthrough_request_headers',
    'allowed-response-headers': 'allowed_response_headers',
  } as const;
  for (const [flag, key] of Object.entries(lists)) if (flags.isSet(flag)) config[key] = flags.list(flag);
  if (flags.isSet('listing-visibility')) config.listing_visibility = flags.string('listing-visibility');
  if (flags.isSet('plugin-version')) config.plugin_version = flags.string('plugin-version');
  if (flags.isSet('token-type')) config.token_type = flags.string('token-type');
  return config;
}

export function enableInput(flags: ParsedFlags, type: string): MountInput {
  return {
    type,
    description: flags.string('description'),
    config: visited(flags, {
      options: null,
      default_lease_ttl: formatGoDuration(flags.duration('default-lease-ttl')),
      max_lease_ttl: formatGoDuration(flags.duration('max-lease-ttl')),
      force_no_cache: flags.bool('force-no-cache'),
    }),
    local: flags.bool('local'),
    seal_wrap: flags.bool('seal-wrap'),
    external_entropy_access: flags.bool('external-entropy-access'),
    options: options(flags),
  };
}

/** vault's ttlToAPI: unset is "", "system" (negative) resets to the default, else a Go duration. */
function ttlToApi(ns: bigint): string {
  if (ns === 0n) return '';
  return ns < 0n ? 'system' : formatGoDuration(ns);
}

export function tuneInput(flags: ParsedFlags): MountConfigInput {
  const config: MountConfigInput = {
    options: options(flags),
    default_lease_ttl: ttlToApi(flags.duration('default-lease-ttl')),
    max_lease_ttl: ttlToApi(flags.duration('max-lease-ttl')),
  };
  if (flags.isSet('description')) config.description = flags.string('description');
  const lockout = userLockoutConfig(flags);
  if (lockout) config.user_lockout_config = lockout;
  return visited(flags, config);
}

function ttlCell(type: string, ttl: unknown): string {
  if (type === 'system' || type === 'cubbyhole') return '';
  return typeof ttl === 'number' && ttl !== 0 ? String(ttl) : 'system';
}

/** Rows of `secrets list` / `auth list`, sorted by path; `-detailed` adds TTLs, replication, options. */
export function mountRows(
  mounts: MountTable,
  detailed: boolean,
  kind: 'secrets' | 'auth',
): [string[], string[][]] {
  const paths = Object.keys(mounts).sort();
  if (!detailed) {
    const rows = paths.map((p) => [
      p,
      String(mounts[p].type ?? ''),
      String(mounts[p].accessor ?? ''),
      String(mounts[p].description ?? ''),
    ]);
    return [['Path', 'Type', 'Accessor', 'Description'], rows];
  }
  const middle = kind === 'auth' ? 'Token Type' : 'Force No Cache';
  const header = [
    'Path',
    'Plugin',
    'Accessor',
    'Default TTL',
    'Max TTL',
    middle,
    'Replication',
    'Seal Wrap',
    'Options',
    'Description',
    'UUID',
  ];
  const rows = paths.map((p) => {
    const m = mounts[p];
    const type = String(m.type ?? '');
    const config = isRecord(m.config) ? m.config : {};
    return [
      p,
      type === 'plugin' ? String(config.plugin_name ?? '') : type,
      String(m.accessor ?? ''),
      ttlCell(type, config.default_lease_ttl),
      ttlCell(type, config.max_lease_ttl),
      kind === 'auth' ? String(config.token_type ?? '') : String(config.force_no_cache === true),
      m.local === true ? 'local' : 'replicated',
      String(m.seal_wrap === true),
      goValue(isRecord(m.options) ? m.options : {}),
      String(m.description ?? ''),
      String(m.uuid ?? ''),
    ];
  });
  return [header, rows];
}
