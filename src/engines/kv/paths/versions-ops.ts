/** `delete/*path`, `undelete/*path`, `destroy/*path`: soft delete, restore, and erase given versions. */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import { type CompiledPath, definePath, type EngineContext } from '../../../framework/path.js';
import { type KeyMetadata, loadConfig, loadMetadata, scheduledDeletion } from '../versions.js';

const versionFields = {
  path: field.string('Location of the secret.', { max: 4096 }),
  versions: field.any('Version numbers, a list of integers.'),
};

function versionsOf(value: unknown): number[] {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',').filter((v) => v.trim() !== '')
      : value === undefined
        ? []
        : [value];
  if (list.length === 0) throw invalid('no version number provided');
  return list.map((v) => {
    const n = typeof v === 'string' ? Number(v.trim()) : v;
    // 0 and negatives are integers naming no version: skipped like unknown versions, as Vault does.
    // The entry is not echoed: a body sent to the wrong path can carry a secret (SECURITY.md K2).
    if (typeof n !== 'number' || !Number.isInteger(n))
      throw invalid('invalid version number: versions must be integers');
    return n;
  });
}

type Change = (ctx: EngineContext, path: string, meta: KeyMetadata, versions: number[]) => Promise<void>;

function versionOp(locks: KeyedMutex, pattern: string, help: string, change: Change): CompiledPath {
  return definePath({
    pattern,
    fields: versionFields,
    operations: {
      update: (ctx, input) => {
        const versions = versionsOf(input.versions);
        return locks.run(`${ctx.system.mountUuid}:${input.path}`, async () => {
          const meta = await loadMetadata(ctx.storage, input.path!);
          if (!meta) return;
          await change(
            ctx,
            input.path!,
            meta,
            versions.filter((v) => meta.versions[v]),
          );
        });
      },
    },
    help,
  });
}

export function versionOpPaths(locks: KeyedMutex) {
  return [
    versionOp(
      locks,
      'delete/*path',
      'Soft-delete versions; their data stays until destroyed.',
      async (ctx, path, meta, versions) => {
        const now = ctx.clock.now();
        for (const v of versions) {
          const info = meta.versions[v];
          if (!info.destroyed && (info.deletionTime === 0 || info.deletionTime > now))
            info.deletionTime = now;
        }
        await ctx.storage.putJson(`metadata/${path}`, meta);
      },
    ),
    versionOp(
      locks,
      'undelete/*path',
      'Restore soft-deleted versions.',
      async (ctx, path, meta, versions) => {
        // As Vault, a restored version gets a fresh delete_version_after from now: clearing its
        // deletion_time alone would keep it forever on a mount or key that expires versions.
        const deletionTime = scheduledDeletion(meta, await loadConfig(ctx.storage), ctx.clock.now());
        for (const v of versions)
          if (!meta.versions[v].destroyed) meta.versions[v].deletionTime = deletionTime;
        await ctx.storage.putJson(`metadata/${path}`, meta);
      },
    ),
    versionOp(
      locks,
      'destroy/*path',
      'Erase the data of versions for good.',
      async (ctx, path, meta, versions) => {
        for (const v of versions) meta.versions[v].destroyed = true;
        await ctx.storage.transaction([
          ...versions.map((v) => ({ op: 'delete' as const, key: `versions/${path}/${v}` })),
          { op: 'put' as const, key: `metadata/${path}`, value: Buffer.from(JSON.stringify(meta)) },
        ]);
      },
    ),
  ];
}
