/**
 * KV v1: one JSON object per path at `data/<path>`. A read reports `lease_duration` (the secret's own
 * `ttl`/`lease`, else the mount default) without creating a lease, as Vault does.
 */
import { invalid } from '../../core/errors.js';
import { parseDurationSeconds } from '../../framework/duration.js';
import { defineEngine } from '../../framework/engine.js';
import { field, isPlainObject } from '../../framework/fields.js';
import { andThen } from '../../framework/maybe-promise.js';
import { definePath } from '../../framework/path.js';

const pathField = { path: field.string('Location of the secret.', { max: 4096 }) };

function leaseSeconds(data: Record<string, unknown>, fallback: number): number {
  const raw = data.ttl ?? data.lease;
  if (raw === undefined) return fallback;
  try {
    return parseDurationSeconds(raw, 'ttl');
  } catch {
    return fallback;
  }
}

export const kvV1 = defineEngine({
  type: 'kv',
  help: 'Unversioned key/value secrets.',
  paths: [
    definePath({
      pattern: '',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('data/') } }) },
      help: 'List the top of the mount.',
    }),
    definePath({
      pattern: '*path/',
      fields: pathField,
      operations: {
        list: async (ctx, input) => ({ data: { keys: await ctx.storage.list(`data/${input.path}/`) } }),
      },
      help: 'List keys under a folder.',
    }),
    definePath({
      pattern: '*path',
      fields: pathField,
      freeformData: true,
      exists: async (ctx, input) => ctx.storage.has(`data/${input.path}`),
      operations: {
        // Shared and frozen: the read only looks at it. Not async: a cached key costs no turn (MaybePromise).
        read: (ctx, input) =>
          andThen(ctx.storage.readJson<Record<string, unknown>>(`data/${input.path}`), (data) => {
            if (!data) return undefined;
            const ttl = leaseSeconds(data, ctx.system.defaultLeaseTtl());
            return { data, lease: { leaseId: '', ttlSeconds: ttl, renewable: false } };
          }),
        update: async (ctx, input, req) => {
          const data = { ...req.data };
          delete data.path;
          if (!isPlainObject(data) || Object.keys(data).length === 0) throw invalid('missing data fields');
          if (data.ttl !== undefined) parseDurationSeconds(data.ttl, 'ttl');
          await ctx.storage.putJson(`data/${input.path}`, data);
        },
        delete: async (ctx, input) => ctx.storage.delete(`data/${input.path}`),
      },
      help: 'Read, write or delete a secret.',
    }),
  ],
});
