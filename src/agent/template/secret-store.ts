/**
 * The secrets templates read, fetched once per distinct request and shared by every template, and kept
 * fresh the way consul-template does inside Vault Agent: a renewable lease is renewed at about 2/3 of
 * its duration; a leased, non-renewable secret is fetched again at `lease_renewal_threshold` (±5%) of
 * its TTL; anything without a lease (KV) is read again every `static_secret_render_interval`.
 */

import { X509Certificate } from 'node:crypto';
import type { VaultClient } from '../../client/client.js';
import { parseSecret, type Secret } from '../../client/secret.js';
import type { Logger } from '../../framework/log.js';
import type { TokenSource } from '../token-source.js';
import { type RetryPolicy, withRetries } from './retry.js';
import { GoStruct } from './values.js';

export type SecretRequest =
  | { kind: 'read'; path: string; key: string }
  | { kind: 'write'; path: string; data: Record<string, string>; key: string }
  | { kind: 'list'; path: string; key: string };

export interface SecretStoreOptions {
  client: Pick<VaultClient, 'request'>;
  tokens: TokenSource;
  log: Logger;
  signal: AbortSignal;
  staticIntervalMs: number;
  leaseRenewalThreshold: number;
  retry: RetryPolicy;
  /** A refreshed secret came back different: the templates must render again. */
  onChange: () => void;
  /** A background refresh failed after every retry; the old value stays in use. */
  onError: (error: Error) => void;
  random?: () => number;
}

interface Entry {
  request: SecretRequest;
  /** What templates see: consul-template's Secret struct, or a list's keys. */
  value: GoStruct | string[];
  secret?: Secret;
  /** The lease duration first granted, the increment asked for on each renewal. */
  grantedSeconds: number;
  timer?: NodeJS.Timeout;
}

/** What one render pass asked for: the requests not fetched yet, and every request it used. */
export interface StoreSession {
  server: { secret: (...args: unknown[]) => unknown; secrets: (...args: unknown[]) => unknown };
  missing: Map<string, SecretRequest>;
  used: Set<string>;
}

function requestFor(kind: 'secret' | 'secrets', args: unknown[]): SecretRequest {
  const [path, ...pairs] = args;
  if (typeof path !== 'string' || path.trim() === '') throw new Error(`${kind}: expected a path`);
  const clean = path.replace(/^\/+/, '');
  if (kind === 'secrets') {
    if (pairs.length > 0) throw new Error('secrets: expected exactly one path');
    return { kind: 'list', path: clean, key: `list ${clean}` };
  }
  if (pairs.length === 0) return { kind: 'read', path: clean, key: `read ${clean}` };
  const data: Record<string, string> = {};
  pairs.forEach((pair, i) => {
    const at = typeof pair === 'string' ? pair.indexOf('=') : -1;
    if (at <= 0) throw new Error(`secret: argument ${i + 2} is not a key=value pair`);
    data[(pair as string).slice(0, at)] = (pair as string).slice(at + 1);
  });
  return { kind: 'write', path: clean, data, key: `write ${clean} ${JSON.stringify(data)}` };
}

/** Seconds until the `certificate` in a secret's data expires; 0 when there is none or it cannot be read. */
function certificateSeconds(secret: Secret): number {
  const pem = secret.data?.certificate;
  if (typeof pem !== 'string' || !pem.includes('BEGIN CERTIFICATE')) return 0;
  try {
    return Math.max(0, (Date.parse(new X509Certificate(pem).validTo) - Date.now()) / 1000);
  } catch {
    return 0;
  }
}

/** The `ttl` of a secret that rotates on a schedule (one with a `rotation_period`), in seconds. */
function rotatingTtl(secret: Secret): number {
  const data = secret.data ?? {};
  if (data.rotation_period === undefined && data.rotation_schedule === undefined) return 0;
  return typeof data.ttl === 'number' ? data.ttl : 0;
}

function toStruct(secret: Secret): GoStruct {
  return new GoStruct('*dependency.Secret', {
    RequestID: secret.request_id,
    LeaseID: secret.lease_id,
    LeaseDuration: secret.lease_duration,
    Renewable: secret.renewable,
    Data: secret.data ?? {},
    Warnings: secret.warnings,
    Auth: secret.auth,
    WrapInfo: secret.wrap_info,
  });
}

export class SecretStore {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly kvMounts = new Map<string, { mount: string; v2: boolean }>();
  private readonly random: () => number;
  /** Bumped by `clear`: a fetch begun before (with the old token) is not stored after it. */
  private generation = 0;

  constructor(private readonly options: SecretStoreOptions) {
    this.random = options.random ?? Math.random;
  }

  session(): StoreSession {
    const missing = new Map<string, SecretRequest>();
    const used = new Set<string>();
    const lookup =
      (kind: 'secret' | 'secrets') =>
      (...args: unknown[]) => {
        const request = requestFor(kind, args);
        used.add(request.key);
        const entry = this.entries.get(request.key);
        if (entry) return entry.value;
        missing.set(request.key, request);
        return undefined;
      };
    return { server: { secret: lookup('secret'), secrets: lookup('secrets') }, missing, used };
  }

  /** Fetches each request once (concurrent callers share the fetch); throws when retries run out. */
  async load(requests: Iterable<SecretRequest>): Promise<void> {
    await Promise.all(
      [...requests].map((request) => {
        if (this.entries.has(request.key)) return undefined;
        let pending = this.inflight.get(request.key);
        if (!pending) {
          const started: Promise<void> = this.fetchInto(request).finally(() => {
            if (this.inflight.get(request.key) === started) this.inflight.delete(request.key);
          });
          pending = started;
          this.inflight.set(request.key, pending);
        }
        return pending;
      }),
    );
  }

  /** Forgets the secrets no template uses any more. */
  retain(used: Set<string>): void {
    for (const [key, entry] of this.entries) {
      if (!used.has(key)) {
        clearTimeout(entry.timer);
        this.entries.delete(key);
      }
    }
  }

  /** Drops everything, e.g. after a new token: Vault Agent fetches every secret again with it. */
  clear(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    this.inflight.clear();
    this.kvMounts.clear();
    this.generation++;
  }

  private async fetchInto(request: SecretRequest): Promise<void> {
    const generation = this.generation;
    const fetched = await withRetries(
      () => this.fetch(request),
      this.options.retry,
      this.options.signal,
      (attempt, error) =>
        this.options.log.warn(`fetching ${request.path} failed (attempt ${attempt}), retrying`, {
          error: error.message,
        }),
    );
    if (generation !== this.generation || this.options.signal.aborted) return;
    this.store(request, fetched);
  }

  private store(request: SecretRequest, fetched: { value: GoStruct | string[]; secret?: Secret }): Entry {
    const previous = this.entries.get(request.key);
    clearTimeout(previous?.timer);
    const entry: Entry = { request, ...fetched, grantedSeconds: fetched.secret?.lease_duration ?? 0 };
    this.entries.set(request.key, entry);
    this.schedule(entry);
    return entry;
  }

  private schedule(entry: Entry): void {
    const secret = entry.secret;
    let delayMs: number;
    let action: () => Promise<void>;
    if (secret?.lease_id && secret.renewable && secret.lease_duration > 0) {
      // The Go client's lifetime watcher: about 2/3 of the lease, less up to 10% of jitter.
      delayMs = secret.lease_duration * 1000 * (2 / 3) * (0.9 + 0.1 * this.random());
      action = () => this.renew(entry);
    } else if (secret && secret.lease_duration > 0) {
      // Leased but not renewable, KV v1's 32-day refresh interval included (Vault's docs).
      delayMs = secret.lease_duration * 1000 * this.refetchFraction();
      action = () => this.refresh(entry);
    } else if (secret && certificateSeconds(secret) > 0) {
      // A certificate issued through `secret` (PKI without a lease): fetched again before it expires.
      delayMs = certificateSeconds(secret) * 1000 * this.refetchFraction();
      action = () => this.refresh(entry);
    } else if (secret && rotatingTtl(secret) > 0) {
      // A database static role: its password changes when its ttl runs out.
      delayMs = rotatingTtl(secret) * 1000;
      action = () => this.refresh(entry);
    } else {
      delayMs = this.options.staticIntervalMs;
      action = () => this.refresh(entry);
    }
    this.arm(entry, delayMs, action);
  }

  /** consul-template: the threshold plus or minus 5%, so many agents do not come back at once. */
  private refetchFraction(): number {
    const fraction = this.options.leaseRenewalThreshold + (this.random() - 0.5) * 0.1;
    return fraction > 0 && fraction < 1 ? fraction : 0.9;
  }

  private arm(entry: Entry, delayMs: number, action: () => Promise<void>): void {
    clearTimeout(entry.timer);
    // A renewal that ends after `clear` or the stop: no timer for a forgotten entry (it would hold the process).
    if (this.entries.get(entry.request.key) !== entry || this.options.signal.aborted) return;
    entry.timer = setTimeout(
      () => {
        if (this.entries.get(entry.request.key) !== entry || this.options.signal.aborted) return;
        action().catch((error: Error) => {
          if (this.options.signal.aborted) return;
          this.options.onError(error);
          // Keep serving the old value; try again after the static interval.
          if (this.entries.get(entry.request.key) === entry) {
            this.arm(entry, this.options.staticIntervalMs, () => this.refresh(entry));
          }
        });
      },
      Math.max(0, delayMs),
    );
  }

  private async renew(entry: Entry): Promise<void> {
    const secret = entry.secret!;
    const increment = entry.grantedSeconds;
    let renewed: Secret | undefined;
    try {
      const response = await this.options.client.request({
        method: 'PUT',
        path: 'sys/leases/renew',
        body: { lease_id: secret.lease_id, increment },
        token: await this.token(),
      });
      renewed = parseSecret(response.body);
    } catch (error) {
      this.options.log.warn(`renewing the lease of ${entry.request.path} failed; fetching it again`, {
        error: (error as Error).message,
      });
      return this.refresh(entry);
    }
    const duration = renewed?.lease_duration ?? 0;
    this.options.log.debug(`renewed the lease of ${entry.request.path}`, { lease_duration: duration });
    entry.secret = { ...secret, lease_duration: duration };
    entry.value = toStruct(entry.secret);
    if (duration >= increment) {
      this.arm(entry, duration * 1000 * (2 / 3) * (0.9 + 0.1 * this.random()), () => this.renew(entry));
    } else {
      // Capped by the max TTL: the lease cannot be extended; fetch a new secret before it ends.
      this.arm(entry, duration * 1000 * this.refetchFraction(), () => this.refresh(entry));
    }
  }

  private async refresh(entry: Entry): Promise<void> {
    const before = JSON.stringify(entry.value instanceof GoStruct ? entry.value.fields.Data : entry.value);
    const fetched = await withRetries(
      () => this.fetch(entry.request),
      this.options.retry,
      this.options.signal,
    );
    if (this.entries.get(entry.request.key) !== entry) return;
    const stored = this.store(entry.request, fetched);
    const after = JSON.stringify(stored.value instanceof GoStruct ? stored.value.fields.Data : stored.value);
    if (after !== before) this.options.onChange();
  }

  private async token(): Promise<string> {
    const current = this.options.tokens.current();
    if (current) return current;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        unsubscribe();
        reject(new Error('stopped before a token was available'));
      };
      const unsubscribe = this.options.tokens.subscribe((token) => {
        unsubscribe();
        this.options.signal.removeEventListener('abort', onAbort);
        resolve(token);
      });
      this.options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async fetch(request: SecretRequest): Promise<{ value: GoStruct | string[]; secret?: Secret }> {
    const token = await this.token();
    const { client } = this.options;
    if (request.kind === 'list') {
      const path = await this.kvPath(request.path, token, 'metadata/');
      const response = await client.request({ method: 'LIST', path, token, accept: [404] });
      const keys = parseSecret(response.body)?.data?.keys;
      const list = Array.isArray(keys) ? keys.map(String).sort() : [];
      return { value: list };
    }
    const response =
      request.kind === 'read'
        ? await this.read(request.path, token)
        : await client.request({
            method: 'PUT',
            path: request.path,
            body: request.data,
            token,
            accept: [404],
          });
    // A write answered 204 has no body: an empty secret, not a missing one.
    const secret = parseSecret(response.body ?? (request.kind === 'write' ? {} : undefined));
    // consul-template: nothing at the path is an error, retried like any other.
    if (response.status === 404 || !secret) throw new Error(`no secret exists at ${request.path}`);
    return { value: toStruct(secret), secret };
  }

  /** A read; `secret/data/app?version=2` (consul-template's form) sends the query as a query. */
  private async read(pathWithQuery: string, token: string) {
    const at = pathWithQuery.indexOf('?');
    const path = at === -1 ? pathWithQuery : pathWithQuery.slice(0, at);
    const query = at === -1 ? undefined : new URLSearchParams(pathWithQuery.slice(at + 1));
    return this.options.client.request({
      method: 'GET',
      path: await this.kvPath(path, token, 'data/'),
      query,
      token,
      accept: [404],
    });
  }

  /** consul-template's KV v2 handling: `data/` (or `metadata/` for a list) goes after the mount. */
  private async kvPath(path: string, token: string, infix: 'data/' | 'metadata/'): Promise<string> {
    let mount = [...this.kvMounts.entries()].find(([prefix]) => path.startsWith(prefix))?.[1];
    if (!mount) {
      const response = await this.options.client.request({
        method: 'GET',
        path: `sys/internal/ui/mounts/${path}`,
        token,
        accept: [403, 404],
      });
      const data = parseSecret(response.body)?.data;
      const options = data?.options as Record<string, unknown> | null | undefined;
      const mountPath = typeof data?.path === 'string' ? data.path : '';
      mount = { mount: mountPath, v2: response.status === 200 && options?.version === '2' && !!mountPath };
      if (mountPath) this.kvMounts.set(mountPath, mount);
      if (!mount.v2) return path;
    }
    if (!mount.v2 || !path.startsWith(mount.mount)) return path;
    const rest = path.slice(mount.mount.length);
    if (rest.startsWith('data/') || rest.startsWith('metadata/')) return path;
    return `${mount.mount}${infix}${rest}`;
  }
}
