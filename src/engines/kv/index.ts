/**
 * The `kv` engine: v1 or v2 by the mount's `options.version`, decided per request so a tune to
 * version 2 takes effect (after the in-place upgrade that runs when the mount restarts).
 */
import { unsupported } from '../../core/errors.js';
import { defineEngine, type Engine, type Route } from '../../framework/engine.js';
import { field } from '../../framework/fields.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { LogicalRequest, LogicalResponse, Operation } from '../../framework/logical.js';
import { definePath, type EngineContext } from '../../framework/path.js';
import { configPaths } from './paths/config.js';
import { dataPaths } from './paths/data.js';
import { metadataPaths } from './paths/metadata.js';
import { subkeyPaths } from './paths/subkeys.js';
import { versionOpPaths } from './paths/versions-ops.js';
import { upgradeToV2 } from './upgrade.js';
import { kvV1 } from './v1.js';

const VERBS: Record<Operation, string> = {
  read: 'get',
  list: 'list',
  create: 'put',
  update: 'put',
  patch: 'patch',
  delete: 'delete',
};
/** The request paths Vault's pathInvalid answers with the "root" warning, compared as they come. */
const SUB_ROOTS = new Set(['data', 'metadata', 'delete', 'undelete', 'destroy']);
const EMPTY_PATH_ROOTS = new Set(['subkeys/', 'delete/', 'undelete/', 'destroy/']);

/**
 * Vault's 404-with-warning (backend.go pathInvalid, pattern `.*`) for paths no KV v2 path matches,
 * LIST included: `data/x/` is not a data path (it ends in "/"), so LIST there is this 404 naming
 * `vault kv list`, not a 405. A LIST path always ends in "/", so it never gets the root warning.
 */
function wrongPath(_ctx: EngineContext, _input: unknown, req: LogicalRequest): LogicalResponse {
  // Vault's subkeys/, delete/, undelete/ and destroy/ patterns also match an empty path, and none
  // declares LIST: a LIST of their bare root is the framework's 405, not this 404.
  if (req.operation === 'list' && EMPTY_PATH_ROOTS.has(req.path)) throw unsupported();
  const warning = SUB_ROOTS.has(req.path)
    ? 'Non-listing operations on the root of a K/V v2 mount are not supported.'
    : `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${VERBS[req.operation]}' for this operation.`;
  return { httpStatus: 404, warnings: [warning] };
}

function createKvV2(): Engine {
  const locks = new KeyedMutex();
  return defineEngine({
    type: 'kv',
    help: 'Versioned key/value secrets.',
    paths: [
      ...configPaths,
      ...dataPaths(locks),
      ...metadataPaths(locks),
      ...versionOpPaths(locks),
      ...subkeyPaths,
      definePath({
        pattern: '*path',
        // Nothing here is a parameter to report as ignored: the answer is the one warning (API.md 5.5).
        fields: { path: field.string('The path that is not a KV v2 endpoint.') },
        freeformData: true,
        operations: {
          read: wrongPath,
          list: wrongPath,
          update: wrongPath,
          patch: wrongPath,
          delete: wrongPath,
        },
        help: 'Not a KV v2 endpoint.',
      }),
    ],
  });
}

const isV2 = (ctx: EngineContext) => ctx.system.options().version === '2';

export function createKvEngine(): Engine {
  const v2 = createKvV2();
  const pick = (ctx: EngineContext) => (isV2(ctx) ? v2 : kvV1);
  return {
    type: 'kv',
    help: 'Key/value secrets, unversioned (v1) or versioned (v2).',
    paths: [...kvV1.paths, ...v2.paths],
    routes: (): Route[] => [...kvV1.routes(), ...v2.routes()],
    async initialize(ctx) {
      if (isV2(ctx)) await upgradeToV2(ctx.storage, ctx.clock.now());
    },
    exists: (ctx, req) => pick(ctx).exists(ctx, req),
    isUnauthenticated: () => false,
    handleRequest: (ctx, req) => pick(ctx).handleRequest(ctx, req),
    helpFor: (path) => v2.helpFor(path),
  };
}

export const kvEngine = createKvEngine();
