/** The audit broker: the table of enabled devices, their salts, and the fail-closed fan-out of every entry. */
import { randomUUID } from 'node:crypto';
import { CofferError, invalid } from '../core/errors.js';
import type { Clock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';
import { memoizeString } from '../framework/memo.js';
import type { StorageView } from '../framework/storage-view.js';
import { type AuditDevice, Serial } from './devices/device.js';
import { FileDevice } from './devices/file.js';
import { SocketDevice } from './devices/socket.js';
import {
  type AuditInput,
  type AuditOutcome,
  type EntryContext,
  type EntryParts,
  entryParts,
  formatRequestEntry,
  formatResponseEntry,
} from './entry.js';
import { type HashFn, hmacValue } from './hash.js';
import { type DeviceOptions, type FormatConfig, parseFormatConfig } from './options.js';

export interface AuditBrokerDeps {
  /** Prefix for the device table and salts, behind the barrier. */
  storage: StorageView;
  log: Logger;
  /** Stamps entries; device timeouts are about real sockets and use real timers. */
  clock: Clock;
  /** Server config `allow_audit_log_prefixing`: `prefix` is refused unless set (CVE-2025-6000). */
  allowPrefix?: boolean;
  /** Directories a file device may not write into (data directory, plugin directory). */
  denyDirs?: readonly string[];
  /** Ceiling on a file device's write (a socket has its own `write_timeout`): a stuck disk must not hang requests. */
  deviceTimeoutMs?: number;
}

export interface AuditDeviceConfig {
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
}

/** The wire shape of one `sys/audit` entry. */
export interface AuditDeviceInfo extends AuditDeviceConfig {
  path: string;
}

interface TableEntry extends AuditDeviceInfo {
  /** Names the salt in storage; never shown. */
  uuid: string;
}

interface Active {
  entry: TableEntry;
  device: AuditDevice;
  config: FormatConfig;
  hash: HashFn;
  /** This device's serialized auth blocks by token entry (AuditInput.authIdentity). */
  authBlocks: WeakMap<object, string>;
}

/**
 * Each device's serialized parts of a request, kept on the request's input so that its response entry
 * reuses them. A plain property dies with the input; a WeakMap per device cost the garbage collector
 * an ephemeron per request.
 */
const PARTS = Symbol('audit entry parts');
type WithParts = AuditInput & { [PARTS]?: Map<Active, EntryParts> };

const TABLE_KEY = 'table';
const saltKey = (uuid: string) => `salt/${uuid}`;

function normalizePath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '' || trimmed === '/') throw invalid('backend path must be specified');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

function checkOptions(options: Record<string, unknown>): DeviceOptions {
  for (const [key, value] of Object.entries(options))
    if (typeof value !== 'string') throw invalid(`option ${JSON.stringify(key)} must be a string`);
  return options as DeviceOptions;
}

function describe(err: unknown): string {
  // Device errors name a path or an address, never the entry: the line itself is not logged.
  return err instanceof Error ? err.message : String(err);
}

const DONE = Promise.resolve();
const RECORDED = () => true;

/**
 * Fail closed when no device recorded the entry, unless every one that did not was disabled
 * meanwhile: a request racing `DELETE sys/audit/...` is not refused for it.
 */
function failClosed(outcomes: boolean | 'gone' | (boolean | 'gone')[]): void {
  const all = Array.isArray(outcomes) ? outcomes : [outcomes];
  if (!all.includes(true) && all.includes(false)) throw new CofferError('internal', 'internal error');
}

export class AuditBroker {
  private table: TableEntry[] = [];
  private readonly active = new Map<string, Active>();
  private readonly serial = new Serial();

  constructor(private readonly deps: AuditBrokerDeps) {}

  hasDevices(): boolean {
    return this.active.size > 0;
  }

  /** `GET sys/audit`: path → device, in the order they were enabled. */
  list(): Record<string, AuditDeviceInfo> {
    const out: Record<string, AuditDeviceInfo> = {};
    for (const e of this.table)
      out[e.path] = {
        type: e.type,
        description: e.description,
        options: { ...e.options },
        local: e.local,
        path: e.path,
      };
    return out;
  }

  /** `PUT sys/audit/:path`: validates, writes a test entry, then persists the device and its new salt. */
  enable(path: string, config: AuditDeviceConfig): Promise<void> {
    return this.serial.run(async () => {
      const normalized = normalizePath(path);
      // Vault refuses nesting either way (`file/` next to `file/x/`), not only exact duplicates.
      if (this.table.some((e) => e.path.startsWith(normalized) || normalized.startsWith(e.path)))
        throw invalid('path already in use');
      const options = checkOptions(config.options ?? {});
      if (options.prefix !== undefined && !this.deps.allowPrefix)
        throw invalid('audit log prefixing is not allowed');
      const entry: TableEntry = {
        path: normalized,
        type: config.type,
        description: config.description ?? '',
        options: { ...options },
        local: config.local ?? false,
        uuid: randomUUID(),
      };
      const active = await this.open(entry, randomUUID());
      try {
        if (options.skip_test !== 'true') await this.probe(active);
        await this.deps.storage.putJson(saltKey(entry.uuid), { salt: active.salt });
        await this.persist([...this.table, entry]);
      } catch (err) {
        await active.device.close().catch(() => undefined);
        await this.deps.storage.delete(saltKey(entry.uuid)).catch(() => undefined);
        throw err;
      }
      this.table = [...this.table, entry];
      this.active.set(entry.path, active);
      this.deps.log.info('enabled audit backend', { path: entry.path, type: entry.type });
    });
  }

  /** `DELETE sys/audit/:path`: a missing device is not an error; the salt is discarded with it. */
  disable(path: string): Promise<void> {
    return this.serial.run(async () => {
      const normalized = normalizePath(path);
      const entry = this.table.find((e) => e.path === normalized);
      if (!entry) return;
      const remaining = this.table.filter((e) => e !== entry);
      await this.persist(remaining);
      this.table = remaining;
      const active = this.active.get(normalized);
      this.active.delete(normalized);
      await this.deps.storage.delete(saltKey(entry.uuid));
      await active?.device.close().catch(() => undefined);
      this.deps.log.info('disabled audit backend', { path: normalized });
    });
  }

  /** After unseal: reopens every stored device. A device that cannot open is skipped, unless all fail. */
  load(): Promise<void> {
    return this.serial.run(async () => {
      await this.closeDevices();
      const stored = await this.deps.storage.getJson<{ entries: TableEntry[] }>(TABLE_KEY);
      this.table = stored?.entries ?? [];
      for (const entry of this.table) {
        try {
          let salt = (await this.deps.storage.getJson<{ salt: string }>(saltKey(entry.uuid)))?.salt;
          if (!salt) {
            salt = randomUUID();
            await this.deps.storage.putJson(saltKey(entry.uuid), { salt });
          }
          this.active.set(entry.path, await this.open(entry, salt));
        } catch (err) {
          this.deps.log.error('failed to create audit entry', { path: entry.path, error: describe(err) });
        }
      }
      if (this.table.length > 0 && this.active.size === 0)
        throw new CofferError('internal', 'failed to setup audit table');
    });
  }

  /** `sys/audit-hash/:path`: the value a device would write for `input`. */
  async hash(path: string, input: string): Promise<string> {
    if (input === '') throw invalid('the "input" parameter is empty');
    const normalized = normalizePath(path);
    const active = this.active.get(normalized);
    if (!active) throw invalid(`unknown audit backend ${JSON.stringify(normalized)}`);
    return active.hash(input);
  }

  /** SIGHUP: file devices reopen their path so rotated logs start afresh. Failures are logged, not thrown. */
  async reopenAll(): Promise<void> {
    await Promise.all(
      [...this.active.values()].map((a) =>
        a.device.reopen().catch((err) => {
          this.deps.log.error('failed to reopen audit device', { path: a.entry.path, error: describe(err) });
        }),
      ),
    );
  }

  /** On seal or shutdown; `load()` brings the devices back. */
  closeAll(): Promise<void> {
    return this.serial.run(() => this.closeDevices());
  }

  /** Written before the request is routed: if no device records it, the request must not run. */
  logRequest(input: AuditInput): Promise<void> {
    return this.fanOut('request', input, (ctx, parts) => formatRequestEntry(input, ctx, parts));
  }

  /**
   * Written after the handler: if no device records it, the client gets a 500 instead of the response.
   * Pass the same `input` object as to `logRequest`: each device then reuses its serialized parts.
   */
  logResponse(input: AuditInput, outcome: AuditOutcome): Promise<void> {
    return this.fanOut('response', input, (ctx, parts) => formatResponseEntry(input, outcome, ctx, parts));
  }

  /**
   * Each device formats with its own salt and options; at least one must succeed (fail closed). Every
   * device bounds its own writes (a file by `deviceTimeoutMs`, a socket by its `write_timeout`).
   * Chained rather than async: an audited request waits on two entries, and each async layer between
   * the device's write and the request was one more promise and turn of the microtask queue.
   */
  private fanOut(
    kind: string,
    input: WithParts,
    format: (ctx: EntryContext, parts: EntryParts) => string,
  ): Promise<void> {
    if (this.active.size === 0) return DONE;
    const now = this.deps.clock.now();
    input[PARTS] ??= new Map();
    const cache = input[PARTS];
    // One device (the usual set-up) needs no fan-out machinery.
    if (this.active.size === 1) {
      const only = this.active.values().next().value as Active;
      return this.record(kind, only, input, cache, now, format).then(failClosed);
    }
    return Promise.all(
      [...this.active.values()].map((a) => this.record(kind, a, input, cache, now, format)),
    ).then(failClosed);
  }

  /** One device's write of the entry: true once written, false if it failed, 'gone' if disabled meanwhile. Never rejects. */
  private record(
    kind: string,
    a: Active,
    input: WithParts,
    cache: Map<Active, EntryParts>,
    now: number,
    format: (ctx: EntryContext, parts: EntryParts) => string,
  ): Promise<boolean | 'gone'> {
    let written: Promise<void>;
    try {
      const ctx = { config: a.config, hash: a.hash, now };
      let parts = cache.get(a);
      if (!parts) {
        parts = entryParts(input, ctx, a.authBlocks);
        cache.set(a, parts);
      }
      written = a.device.write(format(ctx, parts));
    } catch (err) {
      return Promise.resolve(this.failedWrite(kind, a, err));
    }
    return written.then(RECORDED, (err: unknown) => this.failedWrite(kind, a, err));
  }

  /** 'gone': the device was disabled while this entry was on its way; not a failure of the device. */
  private failedWrite(kind: string, a: Active, err: unknown): false | 'gone' {
    if (this.active.get(a.entry.path) !== a) return 'gone';
    this.deps.log.error(`audit device failed to log the ${kind}`, {
      path: a.entry.path,
      type: a.entry.type,
      error: describe(err),
    });
    return false;
  }

  private async open(entry: TableEntry, salt: string): Promise<Active & { salt: string }> {
    const config = parseFormatConfig(entry.options);
    let device: AuditDevice;
    if (entry.type === 'file')
      device = await FileDevice.create(entry.options, {
        denyDirs: this.deps.denyDirs,
        timeoutMs: this.deps.deviceTimeoutMs,
        log: this.deps.log,
      });
    else if (entry.type === 'socket') device = SocketDevice.create(entry.options);
    else throw invalid(`unknown backend type: ${JSON.stringify(entry.type)}`);
    // Memoized: the same tokens, accessors and hot secret values are hashed on every request. Values
    // over 1 KB are hashed each time rather than held.
    const hash = memoizeString((value) => hmacValue(salt, value), { limit: 10_000, maxInputLength: 1024 });
    return { entry, device, config, salt, hash, authBlocks: new WeakMap() };
  }

  /** Vault's enable-time test message: a device that cannot write is refused rather than silently broken. */
  private async probe(active: Active): Promise<void> {
    const line = formatRequestEntry(
      { requestId: randomUUID(), operation: 'update', path: 'sys/audit/test' },
      { config: active.config, hash: active.hash, now: this.deps.clock.now() },
    );
    try {
      await active.device.write(line);
    } catch (err) {
      throw invalid(`audit backend failed test message: ${describe(err)}`);
    }
  }

  private async persist(entries: TableEntry[]): Promise<void> {
    try {
      await this.deps.storage.putJson(TABLE_KEY, { entries });
    } catch (err) {
      this.deps.log.error('failed to persist audit table', { error: describe(err) });
      throw new CofferError('internal', 'failed to update audit table');
    }
  }

  private async closeDevices(): Promise<void> {
    const devices = [...this.active.values()];
    this.active.clear();
    await Promise.all(devices.map((a) => a.device.close().catch(() => undefined)));
  }
}
