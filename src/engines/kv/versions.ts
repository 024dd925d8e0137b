/**
 * KV v2 domain logic, no HTTP: per-key metadata with its version table, version data, pruning,
 * soft deletion and the per-key lock that makes check-and-set exact under concurrency.
 *
 * Storage layout (inside the mount's view): `config`; `metadata/<path>` (KeyMetadata);
 * `versions/<path>/<n>` (the data of version n). Paths are never secret; values live only in versions.
 */

import type { DeepReadonly } from '../../framework/deep-freeze.js';
import { formatGoDuration } from '../../framework/duration.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { StorageView } from '../../framework/storage-view.js';
import { jsonBytes } from '../../framework/storage-view.js';
import type { TxOp } from '../../storage/backend.js';

export interface VersionInfo {
  createdTime: number;
  /** Unix ms; 0 = not deleted. A future time is a scheduled deletion (delete_version_after). */
  deletionTime: number;
  destroyed: boolean;
}

export interface KeyMetadata {
  createdTime: number;
  updatedTime: number;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number; // seconds
  customMetadata: Record<string, string> | null;
  versions: Record<string, VersionInfo>;
}

export interface KvConfig {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
}

export const DEFAULT_MAX_VERSIONS = 10;

/**
 * Every read of a version formats its times again; a version's times never change, so the text is
 * kept (bounded: emptied when full) instead of a Date and toISOString per field on every read.
 */
const isoTexts = new Map<number, string>();
export function isoTime(ms: number): string {
  if (!ms) return '';
  let text = isoTexts.get(ms);
  if (text === undefined) {
    if (isoTexts.size >= 10_000) isoTexts.clear();
    text = new Date(ms).toISOString();
    isoTexts.set(ms, text);
  }
  return text;
}

export async function loadConfig(storage: StorageView): Promise<KvConfig> {
  return (
    (await storage.getJson<KvConfig>('config')) ?? {
      maxVersions: 0,
      casRequired: false,
      deleteVersionAfter: 0,
    }
  );
}

export function loadMetadata(storage: StorageView, path: string): MaybePromise<KeyMetadata | undefined> {
  return storage.getJson<KeyMetadata>(`metadata/${path}`);
}

/**
 * The key's metadata shared and frozen (StorageView.readJson), for paths that only look at it or copy
 * it: a write's existence check and the write itself, which hands the next metadata back to the cache
 * already parsed. Two JSON parses of the version table were a fifth of a write's instructions.
 */
export function readMetadata(
  storage: StorageView,
  path: string,
): MaybePromise<DeepReadonly<KeyMetadata> | undefined> {
  return storage.readJson<KeyMetadata>(`metadata/${path}`);
}

export function newMetadata(now: number): KeyMetadata {
  return {
    createdTime: now,
    updatedTime: now,
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
    versions: {},
  };
}

export function isDeleted(info: VersionInfo, now: number): boolean {
  return info.deletionTime !== 0 && info.deletionTime <= now;
}

export function versionToWire(info: VersionInfo, version: number, custom: Record<string, string> | null) {
  return {
    created_time: isoTime(info.createdTime),
    custom_metadata: custom,
    deletion_time: isoTime(info.deletionTime),
    destroyed: info.destroyed,
    version,
  };
}

export function metadataToWire(meta: KeyMetadata) {
  const versions: Record<string, unknown> = {};
  for (const [n, info] of Object.entries(meta.versions)) {
    versions[n] = {
      created_time: isoTime(info.createdTime),
      deletion_time: isoTime(info.deletionTime),
      destroyed: info.destroyed,
    };
  }
  return {
    cas_required: meta.casRequired,
    created_time: isoTime(meta.createdTime),
    current_version: meta.currentVersion,
    custom_metadata: meta.customMetadata,
    delete_version_after: formatGoDuration(meta.deleteVersionAfter),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldestVersion,
    updated_time: isoTime(meta.updatedTime),
    versions,
  };
}

/**
 * When a version written (or undeleted) at `now` is due for deletion, 0 for never. The key's
 * delete_version_after may shorten the mount's, never lengthen it (Vault: the smaller non-zero wins).
 */
export function scheduledDeletion(meta: KeyMetadata, config: KvConfig, now: number): number {
  const deleteAfter = shorterNonZero(meta.deleteVersionAfter, config.deleteVersionAfter);
  return deleteAfter > 0 ? now + deleteAfter * 1000 : 0;
}

/**
 * From this version on, a version table is built with dictionary storage. V8 keeps the integer keys of
 * an object built by assignment in an array as long as the highest key while that stays under ~1,024:
 * ten versions numbered 491-500 took a 500-slot array, 6.4 KB against 0.7 KB as a dictionary (11 KB
 * at version 900), and the barrier's cache keeps that table for every key written that often, beyond
 * the cost it accounts for. A table JSON.parse builds (a cache miss) is a dictionary already. One
 * element defined with other than the default attributes makes V8 store all of them as a dictionary
 * for good; below this version the array is no larger, and assignment is ~1 µs a table cheaper.
 */
export const SPARSE_FROM = 64;

/** Writes a new version and prunes past max_versions, in one transaction. */
export async function writeVersion(
  storage: StorageView,
  path: string,
  meta: DeepReadonly<KeyMetadata>,
  config: KvConfig,
  data: Record<string, unknown>,
  now: number,
): Promise<{ meta: DeepReadonly<KeyMetadata>; version: number }> {
  const version = meta.currentVersion + 1;
  const ops: TxOp[] = [{ op: 'put', key: `versions/${path}/${version}`, value: jsonBytes(data) }];
  // Vault keeps the greater of the key's and the mount's max_versions (a key's smaller setting
  // must not prune versions the mount promises to keep); 10 only when neither is set.
  const max = Math.max(meta.maxVersions, config.maxVersions) || DEFAULT_MAX_VERSIONS;
  // Vault's sliding window: once current - oldest reaches max_versions, oldest_version becomes
  // current - max + 1 (so max_versions=1 and one write give 1) and every version below it goes.
  const pruning = version - meta.oldestVersion >= max;
  const oldestKept = pruning ? version - max + 1 : meta.oldestVersion;
  // Frozen now (the cache would freeze it with `next` anyway) so metadataBytes keeps its text.
  const latest = Object.freeze({
    createdTime: now,
    deletionTime: scheduledDeletion(meta, config, now),
    destroyed: false,
  });
  // The table is built afresh from the versions kept, not spread and then pruned with `delete`:
  // deleting properties left a slower object for every later lookup and for JSON.stringify.
  const versions: Record<string, DeepReadonly<VersionInfo>> = {};
  // Defined first, and read-only as the cache keeps it: see SPARSE_FROM.
  if (version >= SPARSE_FROM) Object.defineProperty(versions, version, { value: latest, enumerable: true });
  for (const old of Object.keys(meta.versions)) {
    const n = Number(old);
    // A table never holds a version past the current one; were it damaged so, the new one wins.
    if (n === version) continue;
    if (!pruning || n >= oldestKept) versions[old] = meta.versions[old];
    else ops.push({ op: 'delete', key: `versions/${path}/${old}` });
  }
  if (version < SPARSE_FROM) versions[version] = latest;
  const next: KeyMetadata = {
    ...meta,
    updatedTime: now,
    currentVersion: version,
    oldestVersion: oldestKept,
    versions,
  };
  // `next` goes to the cache as parsed (and frozen there): it is not changed after this.
  ops.push({ op: 'put', key: `metadata/${path}`, value: metadataBytes(next, meta), json: next });
  await storage.transaction(ops);
  return { meta: next, version };
}

/**
 * Each version's `"n":{…}` text, kept on the metadata object it was built for: a write
 * re-serializes up to max_versions versions that have not changed, formatting their 13-digit times
 * again each time. A symbol property, so JSON.stringify, Object.keys and spreads do not see it.
 * (A WeakMap from version object to text did the same, but its lookups were 2.7% of a kv2-write@64's
 * samples and its ephemeron table added to every major GC; docs/performance.md.)
 */
const VERSION_PIECES = Symbol('kv.versionPieces');

interface VersionPiece {
  readonly key: string;
  readonly n: number;
  /** The frozen version object the text was made from: reused only for that same object. */
  readonly info: object;
  readonly text: string;
}

type WithPieces = { readonly [VERSION_PIECES]?: readonly VersionPiece[] };

/**
 * The `"n":{…}` texts of a version table, reusing `previous`'s where the key holds the same frozen
 * object (a frozen object's text cannot change). Object.keys lists integer-like keys ascending, as
 * the previous table's pieces were listed, so one pass of a pointer through them finds each match.
 */
function versionPieces(
  versions: DeepReadonly<Record<string, VersionInfo>>,
  previous: readonly VersionPiece[] | undefined,
): VersionPiece[] {
  const pieces: VersionPiece[] = [];
  let j = 0;
  for (const key of Object.keys(versions)) {
    const info = versions[key] as unknown;
    const n = Number(key);
    if (previous) {
      while (j < previous.length && previous[j].n < n) j++;
      const candidate = previous[j];
      if (candidate && candidate.info === info && candidate.key === key) {
        pieces.push(candidate);
        j++;
        continue;
      }
    }
    const text = `${JSON.stringify(key)}:${JSON.stringify(info)}`;
    // Object.isFrozen is true of any primitive; only a frozen object's text can be kept.
    const keepable = typeof info === 'object' && info !== null && Object.isFrozen(info);
    pieces.push({ key, n, info: keepable ? info : NOT_KEPT, text });
  }
  return pieces;
}

/** Stands in for a version whose text is not kept (a mutable object): no version is this object. */
const NOT_KEPT = Object.freeze({});

/**
 * The metadata's JSON as UTF-8, as jsonBytes gives it (parses to the same value; `versions` comes
 * last). `previous`, the metadata this one was made from, lends the texts of the versions both share;
 * the texts are then kept on `meta` for the next write, unless it is already frozen.
 */
export function metadataBytes(
  meta: DeepReadonly<KeyMetadata>,
  previous?: DeepReadonly<KeyMetadata>,
): Uint8Array {
  const pieces = versionPieces(
    meta.versions,
    (meta as WithPieces)[VERSION_PIECES] ?? (previous as WithPieces | undefined)?.[VERSION_PIECES],
  );
  if (!Object.isFrozen(meta) && (meta as WithPieces)[VERSION_PIECES] === undefined)
    Object.defineProperty(meta, VERSION_PIECES, { value: pieces });
  const texts: string[] = [];
  for (const piece of pieces) texts.push(piece.text);
  // A spread copy is cheaper than rest destructuring; JSON.stringify leaves out the undefined key.
  const head = JSON.stringify({ ...meta, versions: undefined });
  // One join, not `+=`: the concatenated (cons) string was flattened again by Buffer.from.
  const tail = `"versions":{${texts.join(',')}}}`;
  return Buffer.from(head === '{}' ? `{${tail}` : `${head.slice(0, -1)},${tail}`, 'utf8');
}

/** RFC 7386 JSON merge patch: null removes a key, objects merge recursively (bounded by the HTTP depth limit). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function shorterNonZero(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a || b;
}
