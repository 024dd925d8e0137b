/**
 * Vault's `batch_input`: items decoded field by field (strings must be strings), answered in order,
 * each with its own `error`. Any failed item makes the answer a 400 (500 for a server fault), unless
 * `partial_failure_response_code` is given and some item succeeded.
 */
import { CofferError, invalid } from '../../core/errors.js';
import { isPlainObject } from '../../framework/fields.js';
import type { LogicalResponse } from '../../framework/logical.js';
import { attempt, type MaybePromise } from '../../framework/maybe-promise.js';

const STRING_FIELDS = [
  'context',
  'plaintext',
  'ciphertext',
  'nonce',
  'associated_data',
  'reference',
  'input',
  'hmac',
  'signature',
] as const;

export type BatchItem = Partial<Record<(typeof STRING_FIELDS)[number], string>> & { key_version?: number };

export const MAX_BATCH_ITEMS = 10_000;

export function parseBatch(raw: unknown): BatchItem[] {
  if (!Array.isArray(raw))
    throw invalid('failed to parse batch input: source data must be an array or slice');
  if (raw.length === 0) throw invalid('missing batch input to process');
  if (raw.length > MAX_BATCH_ITEMS) throw invalid(`batch_input holds more than ${MAX_BATCH_ITEMS} items`);
  const errors: string[] = [];
  const items = raw.map((value, i) => {
    if (!isPlainObject(value)) throw invalid(`failed to parse batch input: [${i}] expected a map`);
    const item: BatchItem = {};
    for (const name of STRING_FIELDS) {
      const v = value[name];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string') item[name] = v;
      else errors.push(`'[${i}].${name}' expected type 'string', got unconvertible type '${typeof v}'`);
    }
    const version = value.key_version;
    if (version !== undefined && version !== null) {
      const n = typeof version === 'string' && version.trim() !== '' ? Number(version) : version;
      if (typeof n === 'number' && Number.isInteger(n)) item.key_version = n;
      else errors.push(`'[${i}].key_version' expected type 'int'`);
    }
    return item;
  });
  if (errors.length) throw invalid(`failed to parse batch input: ${errors.join('; ')}`);
  return items;
}

/** Runs `fn` for an item; a request error becomes the item's `error`, anything else fails the request. */
export function tryItem<T>(fn: () => T): Outcome<T> {
  try {
    return { value: fn() };
  } catch (error) {
    return failedItem(error);
  }
}

/** tryItem for work that runs off the event loop. */
export async function tryItemAsync<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await fn() };
  } catch (error) {
    return failedItem(error);
  }
}

function failedItem(error: unknown): { error: string } {
  if (error instanceof CofferError && error.code === 'invalid_request') return { error: error.message };
  throw error;
}

/**
 * `fn` over the items, in order, `size` at a time, yielding to the event loop between chunks. Keeps a
 * batch of slow items (RSA) from stalling every other request, and from filling the thread pool.
 */
export function mapInChunks<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => R | Promise<R>,
): MaybePromise<R[]> {
  // One chunk (every single request, most batches): no slicing and no Promise.all per item; the async
  // path cost a single-item decrypt ~5% of its CPU (bench/cpu.ts, 97 against 103 us). Items all done
  // at once are answered at once (see MaybePromise).
  if (items.length <= size) {
    return attempt(() => {
      const results = items.map(fn);
      return results.some((r) => r instanceof Promise) ? Promise.all(results) : (results as R[]);
    });
  }
  return mapChunks(items, size, fn);
}

async function mapChunks<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => R | Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const chunk = items.slice(start, start + size).map((item, j) => fn(item, start + j));
    out.push(...(await Promise.all(chunk)));
  }
  return out;
}

/** Items per chunk for work Node can only do synchronously: one RSA private-key operation at a time. */
export const syncChunkSize = (slow: boolean) => (slow ? 1 : 256);

export type Outcome<T> = { value: T } | { error: string };

export interface Answer<T> {
  items: BatchItem[];
  outcomes: Outcome<T>[];
  /** Whether the request came as `batch_input`; otherwise the only item's error is the request's 400. */
  batch: boolean;
  /** The answer's data for one item, single or (`inBatch`) in `batch_results`. */
  toData: (value: T, inBatch: boolean) => Record<string, unknown>;
  /** Fields a failed batch item still carries (Vault's non-omitempty fields). */
  failedFields?: Record<string, unknown>;
  partialFailureCode?: number;
  warnings?: string[];
}

/** The response to a request that may have been a batch, with Vault's status for mixed outcomes. */
export function answer<T>(a: Answer<T>): LogicalResponse {
  if (!a.batch) {
    const only = a.outcomes[0];
    if ('error' in only) throw invalid(only.error);
    return { data: a.toData(only.value, false), warnings: a.warnings };
  }
  const results = a.outcomes.map((o, i) => {
    const reference = a.items[i].reference ?? '';
    return 'error' in o
      ? { ...a.failedFields, error: o.error, reference }
      : { ...a.toData(o.value, true), reference };
  });
  const okays = a.outcomes.map((o) => ({ ok: 'value' in o }));
  return batchStatus({ data: { batch_results: results }, warnings: a.warnings }, okays, a.partialFailureCode);
}

/** The status Vault's batchRequestResponse picks for a batch with these outcomes. */
function batchStatus(
  response: LogicalResponse,
  outcomes: { ok: boolean }[],
  partialFailureCode: number | undefined,
): LogicalResponse {
  const failed = outcomes.some((o) => !o.ok);
  if (!failed) return response;
  const succeeded = outcomes.some((o) => o.ok);
  let status = 400;
  if (partialFailureCode !== undefined && succeeded) {
    if (partialFailureCode < 1 || partialFailureCode > 599) {
      const warning = `invalid HTTP response code override from partial_failure_response_code, reverting to ${status}`;
      response.warnings = [...(response.warnings ?? []), warning];
    } else status = partialFailureCode;
  }
  return { ...response, httpStatus: status };
}
