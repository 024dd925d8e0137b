/**
 * Response wrapping: a response is stored under its single-use wrapping token and the client gets
 * only `wrap_info`. Records live in `sys/wrapping/<hash of accessor>` rather than the token's
 * cubbyhole so that the use that revokes the token cannot race the read of its contents.
 */
import type { Clock } from '../framework/clock.js';
import type { StorageView } from '../framework/storage-view.js';
import { invalid } from './errors.js';
import { sha256Hex } from './sha256.js';

export interface WrappedContent {
  data: Record<string, unknown> | null;
  auth: Record<string, unknown> | null;
  leaseId: string;
  leaseDuration: number;
  renewable: boolean;
  warnings: string[] | null;
}

interface WrapRecord {
  content: WrappedContent;
  creationPath: string;
  creationTime: number;
  ttl: number;
}

export interface WrappingTokens {
  /** A single-use token carrying only the `response-wrapping` policy. */
  issue(ttlSeconds: number, creationPath: string): Promise<{ token: string; accessor: string }>;
  /** The accessor of a live wrapping token, or undefined. */
  accessorOf(token: string): Promise<string | undefined>;
  revoke(accessor: string): Promise<void>;
}

export const NOT_VALID = 'wrapping token is not valid or does not exist';

const keyOf = (accessor: string) => sha256Hex(accessor);

export class ResponseWrapper {
  private readonly consuming = new Set<string>();

  constructor(
    private readonly storage: StorageView,
    private readonly tokens: WrappingTokens,
    private readonly clock: Clock,
  ) {}

  async wrap(content: WrappedContent, ttlSeconds: number, creationPath: string) {
    const { token, accessor } = await this.tokens.issue(ttlSeconds, creationPath);
    const creationTime = this.clock.now();
    await this.storage.putJson(keyOf(accessor), {
      content,
      creationPath,
      creationTime,
      ttl: ttlSeconds,
    } satisfies WrapRecord);
    const wrapInfo: Record<string, unknown> = {
      token,
      accessor,
      ttl: ttlSeconds,
      creation_time: new Date(creationTime).toISOString(),
      creation_path: creationPath,
    };
    const wrappedAccessor = content.auth?.accessor;
    if (typeof wrappedAccessor === 'string' && wrappedAccessor) wrapInfo.wrapped_accessor = wrappedAccessor;
    return wrapInfo;
  }

  private async live(accessor: string): Promise<WrapRecord> {
    const record = await this.storage.getJson<WrapRecord>(keyOf(accessor));
    if (!record || record.creationTime + record.ttl * 1000 <= this.clock.now()) throw invalid(NOT_VALID);
    return record;
  }

  /** Single use: the record is taken under an in-memory claim, deleted, and the token revoked. */
  async unwrap(accessor: string): Promise<WrappedContent> {
    const key = keyOf(accessor);
    if (this.consuming.has(key)) throw invalid(NOT_VALID);
    this.consuming.add(key);
    try {
      const record = await this.live(accessor);
      await this.storage.delete(key);
      await this.tokens.revoke(accessor).catch(() => undefined);
      return record.content;
    } finally {
      this.consuming.delete(key);
    }
  }

  async lookup(token: string) {
    const accessor = await this.tokens.accessorOf(token);
    if (!accessor) throw invalid(NOT_VALID);
    const record = await this.live(accessor);
    return {
      creation_path: record.creationPath,
      creation_time: new Date(record.creationTime).toISOString(),
      creation_ttl: record.ttl,
    };
  }

  async rewrap(token: string) {
    const accessor = await this.tokens.accessorOf(token);
    if (!accessor) throw invalid(NOT_VALID);
    const record = await this.live(accessor);
    const content = await this.unwrap(accessor);
    return this.wrap(content, record.ttl, record.creationPath);
  }

  /** Drops the response of a wrapping token that is being revoked (nothing for other tokens). */
  async discard(accessor: string): Promise<void> {
    await this.storage.delete(keyOf(accessor));
  }

  /** Deletes records whose tokens have expired unused. */
  async sweep(): Promise<void> {
    for (const name of await this.storage.list('')) {
      const record = await this.storage.getJson<WrapRecord>(name);
      if (record && record.creationTime + record.ttl * 1000 <= this.clock.now())
        await this.storage.delete(name);
    }
  }
}

/**
 * Vault before 0.6.2 kept a wrapped response in its wrapping token's cubbyhole, at
 * `cubbyhole/response`, as the JSON text of the HTTP response; old clients still unwrap by reading it
 * there (Vault still answers them, with this warning). The record is taken as an unwrap takes it.
 */
export const LEGACY_UNWRAP_WARNING =
  "Reading from 'cubbyhole/response' is deprecated. Please use sys/wrapping/unwrap to unwrap responses, as it provides additional security checks and other benefits.";

export function legacyUnwrapResponse(content: WrappedContent) {
  const envelope = {
    request_id: '',
    lease_id: content.leaseId,
    renewable: content.renewable,
    lease_duration: content.leaseDuration,
    data: content.data,
    wrap_info: null,
    warnings: content.warnings,
    auth: content.auth,
  };
  return { data: { response: JSON.stringify(envelope) }, warnings: [LEGACY_UNWRAP_WARNING] };
}
