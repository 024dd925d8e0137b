/** Server configuration in Vault's HCL (or JSON): storage, listeners, TTLs, logging. */

import { readFile } from 'node:fs/promises';
import type { SecureVersion } from 'node:tls';
import { type LockoutSettings, parseLockoutThreshold } from '../auth/user-lockout.js';
import type { TransitSealConfig } from '../barrier/transit-wrapper.js';
import { parseHcl } from '../config/hcl.js';
import { isValidCidr } from '../core/cidr.js';
import { invalid } from '../core/errors.js';
import { parseDurationSeconds } from '../framework/duration.js';
import { isPlainObject } from '../framework/fields.js';
import type { LogLevel } from '../framework/log.js';
import type { ForwardedForOptions } from '../http/forwarded-for.js';
import { parseGoBool } from '../http/parse-request.js';
import { type Env, parseSeal } from './seal-config.js';

export interface ListenerConfig {
  address: string; // host:port
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsMinVersion?: SecureVersion;
  maxRequestBytes: number;
  /**
   * How long an engine may work on one request before the client gets a 500 (Vault's
   * `max_request_duration`; the top-level `default_max_request_duration`, else 90 s).
   */
  maxRequestDurationMs: number;
  /** Vault's http_read_header_timeout (10 s), http_read_timeout (30 s), http_idle_timeout (5 m), in ms. */
  readHeaderTimeoutMs?: number;
  readTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Set only when `x_forwarded_for_authorized_addrs` lists at least one CIDR. */
  forwardedFor?: ForwardedForOptions;
}

export interface ServerConfig {
  storage: { type: string; options: Record<string, string> };
  listeners: ListenerConfig[];
  apiAddr?: string;
  /** Vault's `cluster_addr`: only reported by `sys/leader` (standbys forward over HTTP to `api_addr`). */
  clusterAddr?: string;
  ui: boolean;
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  logLevel: LogLevel;
  /** `user_lockout "<all|userpass|ldap|approle>" { … }` blocks, by label. */
  userLockout?: Record<string, LockoutSettings>;
  /** `seal "transit" { … }`; absent for the default Shamir seal. */
  seal?: TransitSealConfig;
}

const DEFAULT_TTL = 768 * 3600;
export const DEFAULT_MAX_REQUEST_BYTES = 32 << 20;
export const DEFAULT_MAX_REQUEST_DURATION_MS = 90_000;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
/** Vault's other spellings of the levels. */
const LOG_LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', err: 'error', notice: 'info' };

/** A log level from the config file or `-log-level`: Vault's names, or a clear error. */
export function parseLogLevel(value: unknown): LogLevel {
  const text = String(value).trim().toLowerCase();
  const level = LOG_LEVEL_ALIASES[text] ?? text;
  if (!LOG_LEVELS.includes(level)) throw invalid(`unknown log level: ${String(value)}`);
  return level as LogLevel;
}

/** Vault's `tls_min_version` values (Go's TLS versions), as Node names them. */
const TLS_VERSIONS: Record<string, ListenerConfig['tlsMinVersion']> = {
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
};

/** HCL blocks arrive as `{ label: [ { ... } ] }`; this takes the single labelled block of a kind. */
function singleBlock(
  value: unknown,
  kind: string,
): { label: string; body: Record<string, unknown> } | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalid(`${kind}: expected a labelled block`);
  const labels = Object.keys(value);
  if (labels.length !== 1) throw invalid(`only one ${kind} block is permitted`);
  const bodies = value[labels[0]];
  const body = Array.isArray(bodies) ? bodies[0] : bodies;
  return { label: labels[0], body: isPlainObject(body) ? body : {} };
}

function blocks(value: unknown): { label: string; body: Record<string, unknown> }[] {
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([label, bodies]) =>
    (Array.isArray(bodies) ? bodies : [bodies]).map((body) => ({
      label,
      body: isPlainObject(body) ? body : {},
    })),
  );
}

/** Go's strconv.ParseBool, which Vault's config uses: 1, t, T, TRUE, true, True. */
function truthy(value: unknown): boolean {
  return value === true || value === 1 || ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(String(value));
}

/** A top-level flag such as `ui`: absent is false; anything ParseBool refuses stops the server, as in Vault. */
function flagSetting(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (value === true || value === false) return value;
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  const flag = parseGoBool(text);
  if (flag !== undefined) return flag;
  throw invalid(`${name}: expected a boolean, got ${JSON.stringify(text.slice(0, 40))}`);
}

function stringOptions(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
}

/**
 * A request duration setting in ms: a Go duration or seconds, in whole seconds; any zero (and "") is
 * `fallback`, as in Vault. A value under a second is refused: it would read as zero, i.e. 90 s.
 */
function requestDurationMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const seconds = parseDurationSeconds(value, name);
  if (seconds < 0) throw invalid(`${name} cannot be negative`);
  if (seconds > 0) return seconds * 1000;
  if (/[1-9]/.test(String(value))) throw invalid(`${name} must be at least 1s`);
  return fallback;
}

function parseListener(
  label: string,
  body: Record<string, unknown>,
  defaultMaxRequestDurationMs: number,
): ListenerConfig {
  if (label !== 'tcp') throw invalid(`unknown listener type: ${label}`);
  const tlsDisable = truthy(body.tls_disable);
  const listener: ListenerConfig = {
    address: typeof body.address === 'string' ? body.address : '127.0.0.1:8200',
    tlsDisable,
    // 0, like no setting, is the default (32 MiB), as in Vault.
    maxRequestBytes: Number(body.max_request_size ?? 0) || DEFAULT_MAX_REQUEST_BYTES,
    maxRequestDurationMs: requestDurationMs(
      body.max_request_duration,
      'listener "tcp" max_request_duration',
      defaultMaxRequestDurationMs,
    ),
  };
  if (!tlsDisable) {
    if (typeof body.tls_cert_file !== 'string' || typeof body.tls_key_file !== 'string') {
      throw invalid('listener "tcp": tls_cert_file and tls_key_file are required unless tls_disable = true');
    }
    listener.tlsCertFile = body.tls_cert_file;
    listener.tlsKeyFile = body.tls_key_file;
    const minVersion = String(body.tls_min_version ?? 'tls12');
    // A typo must not quietly lower the floor: anything but Vault's four names is refused.
    listener.tlsMinVersion = TLS_VERSIONS[minVersion];
    if (!listener.tlsMinVersion)
      throw invalid(
        `listener "tcp": tls_min_version "${minVersion}" is not supported (tls10, tls11, tls12, tls13)`,
      );
  }
  const timeout = (name: string) => {
    if (body[name] === undefined) return undefined;
    const seconds = parseDurationSeconds(body[name], `listener "tcp" ${name}`);
    if (seconds <= 0) throw invalid(`listener "tcp": ${name} must be positive`);
    return seconds * 1000;
  };
  listener.readHeaderTimeoutMs = timeout('http_read_header_timeout');
  listener.readTimeoutMs = timeout('http_read_timeout');
  listener.idleTimeoutMs = timeout('http_idle_timeout');
  listener.forwardedFor = parseForwardedFor(body);
  if (!Number.isInteger(listener.maxRequestBytes) || listener.maxRequestBytes <= 0) {
    // Vault: a negative size disables the limit; Coffer keeps a limit and refuses such configs.
    throw invalid('listener "tcp": max_request_size must be a positive integer');
  }
  return listener;
}

/** A list setting given as a JSON/HCL list or as comma-separated text, as Vault takes its CIDR lists. */
function listSetting(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** Vault's `x_forwarded_for_*` listener settings; the rest mean nothing without authorized addresses. */
function parseForwardedFor(body: Record<string, unknown>): ForwardedForOptions | undefined {
  const where = 'listener "tcp"';
  if (body.x_forwarded_for_authorized_addrs === undefined) return undefined;
  const authorizedAddrs = listSetting(body.x_forwarded_for_authorized_addrs);
  const bad = authorizedAddrs.find((cidr) => !isValidCidr(cidr));
  if (bad !== undefined) throw invalid(`${where}: x_forwarded_for_authorized_addrs: invalid CIDR "${bad}"`);
  if (authorizedAddrs.length === 0) return undefined;
  const skips = String(body.x_forwarded_for_hop_skips ?? '0').trim();
  if (!/^-?\d+$/.test(skips))
    throw invalid(`${where}: invalid value for x_forwarded_for_hop_skips: ${skips}`);
  const hopSkips = Number(skips);
  if (hopSkips < 0)
    throw invalid(`${where}: x_forwarded_for_hop_skips cannot be negative but set to ${hopSkips}`);
  const flag = (name: string) => (body[name] === undefined ? true : truthy(body[name]));
  return {
    authorizedAddrs,
    hopSkips,
    rejectNotAuthorized: flag('x_forwarded_for_reject_not_authorized'),
    rejectNotPresent: flag('x_forwarded_for_reject_not_present'),
  };
}

/** Vault's method types for `user_lockout` blocks; only userpass enforces lockout in Coffer. */
const LOCKOUT_LABELS = new Set(['all', 'userpass', 'ldap', 'approle']);

function parseUserLockout(label: string, body: Record<string, unknown>): LockoutSettings {
  if (!LOCKOUT_LABELS.has(label)) throw invalid(`user_lockout "${label}": unsupported auth type`);
  const where = `user_lockout "${label}"`;
  const settings: LockoutSettings = {};
  if (body.lockout_threshold !== undefined)
    settings.threshold = parseLockoutThreshold(body.lockout_threshold, () =>
      invalid(`${where}: lockout_threshold must be a whole number`),
    );
  if (body.lockout_duration !== undefined)
    settings.durationSeconds =
      parseDurationSeconds(body.lockout_duration, `${where} lockout_duration`) || undefined;
  if (body.lockout_counter_reset !== undefined)
    settings.counterResetSeconds =
      parseDurationSeconds(body.lockout_counter_reset, `${where} lockout_counter_reset`) || undefined;
  if (body.disable_lockout !== undefined) settings.disable = truthy(body.disable_lockout);
  return settings;
}

/** `env` holds the variables that may complete the `seal` block (Vault's VAULT_TRANSIT_SEAL_*). */
export function configFromObject(raw: Record<string, unknown>, env: Env = {}): ServerConfig {
  const storage = singleBlock(raw.storage ?? raw.backend, 'storage');
  if (!storage) throw invalid('no storage block in configuration');
  const defaultDuration = requestDurationMs(
    raw.default_max_request_duration,
    'default_max_request_duration',
    DEFAULT_MAX_REQUEST_DURATION_MS,
  );
  const listeners = blocks(raw.listener).map((b) => parseListener(b.label, b.body, defaultDuration));
  if (listeners.length === 0) throw invalid('no listener block in configuration');
  const logLevel = parseLogLevel(raw.log_level ?? 'info');
  // A negative TTL would read as "none" and make tokens that never expire; 0 is the default (768h).
  const ttlSetting = (name: 'default_lease_ttl' | 'max_lease_ttl', fallback: number) => {
    if (raw[name] === undefined) return fallback;
    const seconds = parseDurationSeconds(raw[name], name);
    if (seconds < 0) throw invalid(`${name} cannot be negative`);
    return seconds || fallback;
  };
  const maxLeaseTtl = ttlSetting('max_lease_ttl', DEFAULT_TTL);
  const defaultLeaseTtl = ttlSetting('default_lease_ttl', Math.min(DEFAULT_TTL, maxLeaseTtl));
  if (defaultLeaseTtl > maxLeaseTtl) throw invalid('default_lease_ttl cannot be greater than max_lease_ttl');
  return {
    storage: { type: storage.label, options: stringOptions(storage.body) },
    listeners,
    apiAddr: typeof raw.api_addr === 'string' ? raw.api_addr : undefined,
    clusterAddr: typeof raw.cluster_addr === 'string' ? raw.cluster_addr : undefined,
    ui: flagSetting(raw.ui, 'ui'),
    defaultLeaseTtl,
    maxLeaseTtl,
    logLevel,
    userLockout: Object.fromEntries(
      blocks(raw.user_lockout).map((b) => [
        b.label.toLowerCase(),
        parseUserLockout(b.label.toLowerCase(), b.body),
      ]),
    ),
    seal: parseSeal(blocks(raw.seal), env),
  };
}

export async function loadConfigFile(file: string, env: Env = {}): Promise<ServerConfig> {
  const text = await readFile(file, 'utf8');
  const raw = await parseHcl(text, file.endsWith('.json') ? 'config.json' : 'config.hcl');
  return configFromObject(raw, env);
}
