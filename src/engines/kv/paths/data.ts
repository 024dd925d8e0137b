/** `data/*path`: read a version, write a new one (with check-and-set), merge-patch, soft-delete the latest. */

import { invalid, notFound } from '../../../core/errors.js';
import type { DeepReadonly } from '../../../framework/deep-freeze.js';
import { field, isPlainObject } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { andThen, type MaybePromise } from '../../../framework/maybe-promise.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import {
  isDeleted,
  type KeyMetadata,
  loadConfig,
  loadMetadata,
  mergePatch,
  newMetadata,
  readMetadata,
  versionToWire,
  writeVersion,
} from '../versions.js';

const dataFields = {
  path: field.string('Location of the secret.', { max: 4096 }),
  version: field.int('Version to read; 0 or absent means the latest.'),
  data: field.any('The secret: a JSON object.'),
  options: field.any('Write options, e.g. {"cas": 3}.'),
};

/** Which version a read refers to, or undefined when there is none. */
function pickVersion(meta: KeyMetadata, requested: number | undefined): number | undefined {
  // As Vault, only a positive version picks one; 0 and negatives read the latest.
  const version = requested !== undefined && requested > 0 ? requested : meta.currentVersion;
  return meta.versions[version] ? version : undefined;
}

/** Vault answers a deleted or destroyed version with a 404 that still carries its metadata. */
function goneResponse(meta: KeyMetadata, version: number): LogicalResponse {
  return {
    httpStatus: 404,
    data: { data: null, metadata: versionToWire(meta.versions[version], version, meta.customMetadata) },
  };
}

/** The version a read asks for. Values are shared and frozen (see StorageView.readJson): look, don't modify. */
export function readData(ctx: EngineContext, path: string, requested: number | undefined) {
  // Not async: a cached key is read without a turn of the microtask queue (see MaybePromise).
  return andThen(ctx.storage.readJson<KeyMetadata>(`metadata/${path}`), (meta) =>
    meta ? readVersion(ctx, path, meta, requested) : undefined,
  );
}

/** `readData` for a key whose metadata the caller already holds. */
function readVersion(
  ctx: EngineContext,
  path: string,
  meta: DeepReadonly<KeyMetadata>,
  requested: number | undefined,
): MaybePromise<FoundVersion | undefined> {
  const version = pickVersion(meta, requested);
  if (version === undefined) return undefined;
  const info = meta.versions[version];
  if (info.destroyed || isDeleted(info, ctx.clock.now())) return { meta, version, gone: true };
  return andThen(ctx.storage.readJson<Record<string, unknown>>(`versions/${path}/${version}`), (data) =>
    data ? { meta, version, data, gone: false } : undefined,
  );
}

/** A version `readData` found: its data, or `gone` when it is deleted or destroyed. */
type FoundVersion = { meta: DeepReadonly<KeyMetadata>; version: number } & (
  | { gone: true }
  | { gone: false; data: DeepReadonly<Record<string, unknown>> }
);

function readResponse(found: FoundVersion | undefined): LogicalResponse | undefined {
  if (!found) return undefined;
  if (found.gone) return goneResponse(found.meta, found.version);
  return {
    data: {
      data: found.data,
      metadata: versionToWire(found.meta.versions[found.version], found.version, found.meta.customMetadata),
    },
  };
}

function casOf(options: unknown): number | undefined {
  if (options === undefined || options === null) return undefined;
  if (!isPlainObject(options)) throw invalid('error parsing check-and-set parameter');
  const cas = options.cas;
  if (cas === undefined || cas === null) return undefined;
  const n = typeof cas === 'string' && cas.trim() !== '' ? Number(cas) : cas;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw invalid('error parsing check-and-set parameter');
  return n;
}

function checkCas(meta: KeyMetadata, casRequired: boolean, cas: number | undefined): void {
  if (cas === undefined) {
    if (casRequired || meta.casRequired) throw invalid('check-and-set parameter required for this call');
    return;
  }
  if (cas !== meta.currentVersion) throw invalid('check-and-set parameter did not match the current version');
}

/**
 * The data a PATCH produces: Vault's order is a missing key (bare 404), then check-and-set, then a
 * deleted or destroyed latest version (404 carrying that version's metadata, flat as Vault sends it).
 */
async function patchedData(
  ctx: EngineContext,
  path: string,
  meta: KeyMetadata | undefined,
  body: Record<string, unknown>,
  casRequired: boolean,
): Promise<{ data: Record<string, unknown> } | { gone: LogicalResponse }> {
  // A bare 404: no body at all (API.md 5.2), where a thrown 404 would carry `{"errors":[]}`.
  if (!meta?.versions[meta.currentVersion]) return { gone: { httpStatus: 404 } };
  checkCas(meta, casRequired, casOf(body.options));
  const current = await readVersion(ctx, path, meta, undefined);
  if (!current) throw notFound();
  if (current.gone) {
    const info = meta.versions[current.version];
    return { gone: { httpStatus: 404, data: versionToWire(info, current.version, meta.customMetadata) } };
  }
  return { data: mergePatch(current.data, body.data) as Record<string, unknown> };
}

export function dataPaths(locks: KeyedMutex) {
  const write = async (ctx: EngineContext, path: string, body: Record<string, unknown>, patch: boolean) =>
    locks.run(`${ctx.system.mountUuid}:${path}`, async () => {
      if (body.data === undefined || body.data === null) throw invalid('no data provided');
      if (!isPlainObject(body.data)) throw invalid('data must be a JSON object');
      const config = await loadConfig(ctx.storage);
      const now = ctx.clock.now();
      const existing = await readMetadata(ctx.storage, path);
      let data = body.data;
      if (patch) {
        const patched = await patchedData(ctx, path, existing, body, config.casRequired);
        if ('gone' in patched) return patched.gone;
        data = patched.data;
      }
      const meta = existing ?? newMetadata(now);
      if (!patch) checkCas(meta, config.casRequired, casOf(body.options));
      const written = await writeVersion(ctx.storage, path, meta, config, data, now);
      return {
        data: versionToWire(
          written.meta.versions[written.version],
          written.version,
          written.meta.customMetadata,
        ),
      };
    });

  return [
    definePath({
      pattern: 'data/*path',
      keyOnly: true,
      fields: dataFields,
      exists: (ctx, input) => andThen(readMetadata(ctx.storage, input.path!), (meta) => meta !== undefined),
      operations: {
        read: (ctx, input) => andThen(readData(ctx, input.path!, input.version), readResponse),
        create: (ctx, input, req) => write(ctx, input.path!, req.data, false),
        update: (ctx, input, req) => write(ctx, input.path!, req.data, false),
        patch: (ctx, input, req) => write(ctx, input.path!, req.data, true),
        delete: (ctx, input) =>
          locks.run(`${ctx.system.mountUuid}:${input.path}`, async () => {
            const meta = await loadMetadata(ctx.storage, input.path!);
            const info = meta?.versions[meta.currentVersion];
            if (!meta || !info || info.destroyed || isDeleted(info, ctx.clock.now())) return;
            info.deletionTime = ctx.clock.now();
            await ctx.storage.putJson(`metadata/${input.path}`, meta);
          }),
      },
      help: 'Read, write, patch or soft-delete the versions of a secret.',
    }),
  ];
}
