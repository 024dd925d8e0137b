/**
 * `sys/config/auditing/request-headers`: which request headers audit entries carry, and whether each
 * is HMAC'd. Names are case-insensitive and kept lower-case, as Vault keeps them. The token-bearing
 * headers are never carried from here (http/ drops them) and are hashed if they ever were (entry.ts).
 */
import type { StorageView } from '../framework/storage-view.js';

const CONFIG_KEY = 'config';

export interface HeaderSetting {
  hmac: boolean;
}

export class AuditedHeaders {
  private settings = new Map<string, HeaderSetting>();

  constructor(private readonly storage: StorageView) {}

  /** After unseal: the stored settings. */
  async load(): Promise<void> {
    const stored = await this.storage.getJson<Record<string, HeaderSetting>>(CONFIG_KEY);
    this.settings = new Map(Object.entries(stored ?? {}));
  }

  list(): Record<string, HeaderSetting> {
    return Object.fromEntries(this.settings);
  }

  get(name: string): HeaderSetting | undefined {
    return this.settings.get(name.toLowerCase());
  }

  async set(name: string, hmac: boolean): Promise<void> {
    await this.save(new Map(this.settings).set(name.toLowerCase(), { hmac }));
  }

  async remove(name: string): Promise<void> {
    const next = new Map(this.settings);
    next.delete(name.toLowerCase());
    await this.save(next);
  }

  /** The configured headers of a request (its header names lower-case, as Node gives them). */
  pick(headers: Record<string, string>): { headers?: Record<string, string[]>; hmacHeaders?: string[] } {
    if (this.settings.size === 0) return {};
    const picked: Record<string, string[]> = {};
    const hmacHeaders: string[] = [];
    for (const [name, setting] of this.settings) {
      const value = headers[name];
      if (value === undefined) continue;
      picked[name] = [value];
      if (setting.hmac) hmacHeaders.push(name);
    }
    return Object.keys(picked).length ? { headers: picked, hmacHeaders } : {};
  }

  /** Stored first, then used: a failed write changes nothing. */
  private async save(next: Map<string, HeaderSetting>): Promise<void> {
    await this.storage.putJson(CONFIG_KEY, Object.fromEntries(next));
    this.settings = next;
  }
}
