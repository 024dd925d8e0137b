/** `metadata/*path`: the version table and key settings; LIST under `metadata/` walks the key tree. */

import { invalid, notFound } from '../../../core/errors.js';
import { parseDurationSeconds } from '../../../framework/duration.js';
import { field, isPlainObject } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { type KeyMetadata, loadMetadata, mergePatch, metadataToWire, newMetadata } from '../versions.js';

const metadataFields = {
  path: field.string('Location of the secret.', { max: 4096 }),
  max_versions: field.int('Versions kept for this key (0 = the mount setting).', { min: 0 }),
  cas_required: field.bool('Require check-and-set on writes to this key.'),
  delete_version_after: field.any('Soft-delete versions this long after they are written.'),
  custom_metadata: field.any('String map of user metadata.'),
};

const SETTINGS = ['max_versions', 'cas_required', 'delete_version_after', 'custom_metadata'] as const;

function checkCustomMetadata(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (!isPlainObject(value)) throw invalid('custom_metadata must be a map of strings');
  const entries = Object.entries(value);
  if (entries.length > 64) throw invalid('custom_metadata: at most 64 keys');
  for (const [key, v] of entries) {
    if (typeof v !== 'string') throw invalid('custom_metadata must be a map of strings');
    if (key === '' || Buffer.byteLength(key) > 128)
      throw invalid('custom_metadata: keys must be 1 to 128 bytes');
    if (v === '' || Buffer.byteLength(v) > 512)
      throw invalid('custom_metadata: values must be 1 to 512 bytes');
  }
  return value as Record<string, string>;
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
      const next = applySettings(existing ?? newMetadata(ctx.clock.now()), input, patch);
      next.updatedTime = ctx.clock.now();
      await ctx.storage.putJson(`metadata/${path}`, next);
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
