/** `metadata/*path`: the version table and key settings; LIST under `metadata/` walks the key tree. */

import { invalid, multiErrorText, notFound } from '../../../core/errors.js';
import { parseDurationSeconds } from '../../../framework/duration.js';
import { field, isPlainObject } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import {
  type KeyMetadata,
  loadConfig,
  loadMetadata,
  mergePatch,
  metadataToWire,
  newMetadata,
} from '../versions.js';

const metadataFields = {
  path: field.string('Location of the secret.', { max: 4096 }),
  max_versions: field.int('Versions kept for this key (0 = the mount setting).', { min: 0 }),
  cas_required: field.bool('Require check-and-set on writes to this key.'),
  delete_version_after: field.any('Soft-delete versions this long after they are written.'),
  custom_metadata: field.any('String map of user metadata.'),
};

const SETTINGS = ['max_versions', 'cas_required', 'delete_version_after', 'custom_metadata'] as const;

const CAS_IGNORED =
  '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';

const CM_PREFIX = 'custom_metadata validation failed';

/** Go's %q for the error texts Vault builds with it (printable runes kept, the rest escaped). */
function goQuote(text: string): string {
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (isPrintable(ch)) out += ch;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `"${out}"`;
}

/** Go's unicode.IsPrint, which Vault's strutil.Printable applies: L, M, N, P, S and the ASCII space. */
const isPrintable = (text: string) => /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(text);

/**
 * Vault weak-decodes each value to a string (mapstructure: 1 -> "1", true -> "1", false -> "0",
 * null -> "" which then fails the length check) and refuses only maps and lists.
 */
function weakString(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // Vault's mapstructure text, without echoing the value (it can carry a secret: SECURITY.md K2).
  const type = Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}';
  throw invalid(
    `${CM_PREFIX}: value for key ${goQuote(key)}: expected type 'string', got unconvertible type '${type}'`,
  );
}

/**
 * Vault's validateCustomMetadata: past 64 keys only the count is reported; otherwise every problem
 * of every key, in its order (length of key, length of value, unprintable key, unprintable value).
 * Keys are named (an unprintable one also raw, as Vault prints it); values never are.
 */
function customMetadataProblems(entries: [string, string][]): string[] {
  if (entries.length > 64)
    return [`${CM_PREFIX}: payload must contain at most 64 keys, provided ${entries.length}`];
  const problems: string[] = [];
  for (const [key, value] of entries) {
    const quoted = goQuote(key);
    const keyLen = Buffer.byteLength(key);
    if (keyLen === 0 || keyLen > 128)
      problems.push(`${CM_PREFIX}: length of key ${quoted} is ${keyLen} but must be 0 < len(key) <= 128`);
    const valueLen = Buffer.byteLength(value);
    if (valueLen === 0 || valueLen > 512)
      problems.push(
        `${CM_PREFIX}: length of value for key ${quoted} is ${valueLen} but must be 0 < len(value) <= 512`,
      );
    if (!isPrintable(key))
      problems.push(`${CM_PREFIX}: key ${quoted} (${key}) contains unprintable characters`);
    if (!isPrintable(value))
      problems.push(`${CM_PREFIX}: value for key ${quoted} contains unprintable characters`);
  }
  return problems;
}

/**
 * The stored form of a custom_metadata write. As in Vault, every value is decoded first (the first
 * one that cannot be is the whole answer); then all problems come back in one 400, in Vault's
 * go-multierror text (`1 error occurred:\n\t* …\n\n`).
 */
function checkCustomMetadata(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (!isPlainObject(value)) throw invalid('custom_metadata must be a map of strings');
  const entries = Object.entries(value).map(([key, raw]): [string, string] => [key, weakString(key, raw)]);
  const problems = customMetadataProblems(entries);
  if (problems.length > 0) throw invalid(multiErrorText(problems));
  return Object.fromEntries(entries);
}

function applySettings(meta: KeyMetadata, input: Record<string, unknown>, patch: boolean): KeyMetadata {
  const next = { ...meta };
  if (input.max_versions !== undefined) next.maxVersions = input.max_versions as number;
  if (input.cas_required !== undefined) next.casRequired = input.cas_required as boolean;
  if (input.delete_version_after !== undefined) {
    const seconds = parseDurationSeconds(input.delete_version_after, 'delete_version_after');
    if (seconds < 0) throw invalid('delete_version_after cannot be negative');
    next.deleteVersionAfter = seconds;
  }
  if (input.custom_metadata !== undefined) {
    next.customMetadata = patch
      ? checkCustomMetadata(mergePatch(meta.customMetadata ?? {}, input.custom_metadata))
      : checkCustomMetadata(input.custom_metadata);
    if (next.customMetadata && Object.keys(next.customMetadata).length === 0) next.customMetadata = null;
  }
  return next;
}

async function listKeys(ctx: EngineContext, prefix: string) {
  return { data: { keys: await ctx.storage.list(`metadata/${prefix}`) } };
}

export function metadataPaths(locks: KeyedMutex) {
  const write = async (ctx: EngineContext, input: Record<string, unknown>, patch: boolean) => {
    // Vault's fast path: a write that sets none of the settings stores nothing (no empty key in LIST).
    if (!patch && SETTINGS.every((name) => input[name] === undefined)) return;
    return locks.run(`${ctx.system.mountUuid}:${input.path}`, async () => {
      const path = String(input.path);
      const existing = await loadMetadata(ctx.storage, path);
      if (patch && !existing) throw notFound(); // Vault: PATCH never creates a key
      // updated_time is left alone: Vault moves it only when a version is written (AddVersion);
      // a new key gets created_time = updated_time = now from newMetadata.
      const next = applySettings(existing ?? newMetadata(ctx.clock.now()), input, patch);
      await ctx.storage.putJson(`metadata/${path}`, next);
      // Vault stores the key's false but tells the caller the mount's cas_required still applies.
      if (input.cas_required === false && (await loadConfig(ctx.storage)).casRequired)
        return { warnings: [CAS_IGNORED] };
      return undefined;
    });
  };
  return [
    definePath({
      pattern: 'metadata/',
      operations: { list: (ctx) => listKeys(ctx, '') },
      help: 'List the top-level keys.',
    }),
    definePath({
      pattern: 'metadata/*path/',
      fields: { path: field.string('Folder to list.', { max: 4096 }) },
      operations: { list: (ctx, input) => listKeys(ctx, `${input.path}/`) },
      help: 'List keys under a folder.',
    }),
    definePath({
      pattern: 'metadata/*path',
      fields: metadataFields,
      exists: async (ctx, input) => (await loadMetadata(ctx.storage, input.path!)) !== undefined,
      operations: {
        read: async (ctx, input) => {
          const meta = await loadMetadata(ctx.storage, input.path!);
          return meta && { data: metadataToWire(meta) };
        },
        create: (ctx, input) => write(ctx, input, false),
        update: (ctx, input) => write(ctx, input, false),
        patch: (ctx, input) => write(ctx, input, true),
        delete: (ctx, input) =>
          locks.run(`${ctx.system.mountUuid}:${input.path}`, async () => {
            const meta = await loadMetadata(ctx.storage, input.path!);
            if (!meta) return;
            await ctx.storage.transaction([
              ...Object.keys(meta.versions).map((v) => ({
                op: 'delete' as const,
                key: `versions/${input.path}/${v}`,
              })),
              { op: 'delete' as const, key: `metadata/${input.path}` },
            ]);
          }),
      },
      help: 'Read or change the metadata of a key; DELETE removes every version.',
    }),
  ];
}
