/**
 * Cubbyhole: a private KV space per token. Each token sees only its own folder, keyed by a hash of
 * its accessor, and the folder is destroyed when the token is revoked.
 */
import { createHash } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import { defineEngine } from '../../framework/engine.js';
import { field, isPlainObject } from '../../framework/fields.js';
import type { LogicalRequest } from '../../framework/logical.js';
import { definePath, type EngineContext } from '../../framework/path.js';
import type { StorageView } from '../../framework/storage-view.js';

/** The storage folder of one token's cubbyhole. */
export function cubbyholeFolder(accessor: string): string {
  return `${createHash('sha256').update(accessor).digest('hex')}/`;
}

function viewFor(ctx: EngineContext, req: LogicalRequest): StorageView {
  const accessor = req.caller?.accessor;
  // Batch tokens have no accessor and, as in Vault, no cubbyhole.
  if (!accessor) throw invalid('cubbyhole is not available to this token');
  return ctx.storage.sub(cubbyholeFolder(accessor));
}

const itemFields = { path: field.string('Location of the secret.') };

export const cubbyholeEngine = defineEngine({
  type: 'cubbyhole',
  help: 'Per-token private secret storage.',
  paths: [
    definePath({
      pattern: '',
      operations: {
        list: async (ctx, _input, req) => ({ data: { keys: await viewFor(ctx, req).list('') } }),
      },
      help: 'List the top of the cubbyhole.',
    }),
    definePath({
      pattern: '*path/',
      fields: itemFields,
      operations: {
        list: async (ctx, input, req) => ({ data: { keys: await viewFor(ctx, req).list(`${input.path}/`) } }),
      },
      help: 'List a folder of the cubbyhole.',
    }),
    definePath({
      pattern: '*path',
      fields: itemFields,
      freeformData: true,
      exists: async (ctx, input, req) => viewFor(ctx, req).has(input.path!),
      operations: {
        read: async (ctx, input, req) => {
          const data = await viewFor(ctx, req).getJson<Record<string, unknown>>(input.path!);
          return data && { data };
        },
        create: writeItem,
        update: writeItem,
        delete: async (ctx, input, req) => viewFor(ctx, req).delete(input.path!),
      },
      help: 'Read, write or delete a cubbyhole secret.',
    }),
  ],
});

async function writeItem(ctx: EngineContext, input: { path?: string }, req: LogicalRequest) {
  const data = { ...req.data };
  delete data.path;
  if (!isPlainObject(data) || Object.keys(data).length === 0) throw invalid('missing data fields');
  await viewFor(ctx, req).putJson(input.path!, data);
}
