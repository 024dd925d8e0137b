/** `sys/mounts`, `sys/auth` and `sys/remount`: enabling, tuning, moving and disabling mounts. */
import { randomUUID } from 'node:crypto';
import { field, type Input } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { CofferError, invalid } from '../errors.js';
import { isSingletonType } from '../mount-manager.js';
import {
  type MountConfig,
  type MountEntry,
  type MountTableName,
  mountToWire,
  newMountEntry,
  normalizeMountPath,
} from '../mounts.js';
import { applyTune, parseMountConfig, tuneFields, tuneToWire } from './tune.js';

const enableFields = {
  path: field.string('Where to mount.'),
  type: field.string('Engine or auth method type.'),
  description: field.string('Human-friendly description.', { max: 4096 }),
  config: field.object('Mount configuration (TTLs, audit keys, visibility).'),
  options: field.map('Engine options, e.g. {"version": "2"} for kv.'),
  local: field.bool('Local to this cluster (not replicated).'),
  seal_wrap: field.bool('Seal-wrap the mount.'),
  external_entropy_access: field.bool('Allow external entropy.'),
  plugin_name: field.string('Deprecated alias of type.'),
  plugin_version: field.string('Plugin version (built-ins only).'),
};

const UNTUNABLE = ['cubbyhole/', 'sys/', 'identity/'];

/** Reserved paths no engine may take (Vault's protectedMounts / singleton rules). */
const RESERVED: Record<MountTableName, string[]> = {
  mounts: ['sys/', 'auth/', 'cubbyhole/', 'identity/'],
  auth: ['token/'],
};

function entryFor(core: Core, table: MountTableName, rawPath: string): MountEntry | undefined {
  const path = normalizeMountPath(rawPath);
  // `sys/mounts/auth/<path>/tune` reaches auth mounts too: the vault CLI's `auth tune` uses it.
  if (table === 'mounts' && path.startsWith('auth/'))
    return core.unsealed.mounts.table.find('auth', path.slice(5));
  return core.unsealed.mounts.table.find(table, path);
}

async function enableMount(core: Core, table: MountTableName, input: Input<typeof enableFields>) {
  const path = normalizeMountPath(input.path ?? '');
  if (RESERVED[table].some((r) => path.startsWith(r))) {
    throw invalid(
      table === 'auth' ? `cannot mount "${path}" of type "token"` : `cannot mount under "${path}"`,
    );
  }
  let type = input.type ?? input.plugin_name ?? '';
  if (!type) throw invalid('backend type must be specified as a string');
  const options = { ...(input.options ?? {}) };
  if (type === 'kv-v1' || type === 'kv-v2') {
    options.version = type === 'kv-v1' ? '1' : '2';
    type = 'kv';
  }
  if (options.version !== undefined && type !== 'kv') {
    throw invalid(`secrets engine "${type}" does not allow setting a version`);
  }
  if (table === 'auth' && type === 'token') throw invalid('token credential backend cannot be instantiated');
  // Built-ins exist once, at their own path (Vault's singletonMounts): a second `identity` mount would
  // rebind the one identity store to its empty storage, a second `system` or `token` would serve sys or
  // token endpoints under a path their ACL rules do not cover.
  // Vault: 403 for the secrets table; the auth table knows no such method.
  if (table === 'mounts' && isSingletonType(type))
    throw new CofferError('permission_denied', `mount type of "${type}" is not mountable`);
  if (table === 'auth' && isSingletonType(type)) throw invalid(`unknown auth method type: ${type}`);
  const config: Partial<MountConfig> = parseMountConfig(input.config ?? {});
  const entry = newMountEntry(table, path, type, {
    description: input.description ?? '',
    config: { defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false, ...config },
    options: Object.keys(options).length ? options : null,
    local: input.local ?? false,
    sealWrap: input.seal_wrap ?? false,
    externalEntropyAccess: input.external_entropy_access ?? false,
  });
  await core.unsealed.mounts.enable(entry);
}

async function disableMount(core: Core, table: MountTableName, rawPath: string) {
  const path = normalizeMountPath(rawPath);
  if (table === 'mounts' && ['sys/', 'cubbyhole/', 'identity/'].includes(path))
    throw invalid(`cannot unmount "${path}"`);
  if (table === 'auth' && path === 'token/') throw invalid('token credential backend cannot be disabled');
  const entry = core.unsealed.mounts.table.find(table, path);
  if (entry) await core.unsealed.mounts.disable(entry); // Vault answers 204 even when nothing is mounted
}

function listMounts(core: Core, table: MountTableName) {
  const data: Record<string, unknown> = {};
  for (const entry of core.unsealed.mounts.table.all(table)) data[entry.path] = mountToWire(entry);
  return { data };
}

function mountPaths(core: Core, table: MountTableName, base: string) {
  const noun = table === 'auth' ? 'auth method' : 'secrets engine';
  return [
    definePath({
      pattern: base,
      operations: { read: () => listMounts(core, table) },
      help: `List the mounted ${noun}s.`,
    }),
    definePath({
      pattern: `${base}/*path/tune`,
      fields: { path: field.string('Mount path.'), ...tuneFields },
      operations: {
        read: (_ctx, input) => {
          const entry = entryFor(core, table, input.path ?? '');
          if (!entry) throw invalid(`cannot fetch sysview for path "${input.path}"`);
          return { data: tuneToWire(core, entry) };
        },
        update: async (_ctx, input) => {
          const entry = entryFor(core, table, input.path ?? '');
          if (!entry) throw invalid(`cannot tune "${input.path}"`);
          // Vault's untunableMounts: built-ins whose settings are fixed.
          if (entry.table === 'mounts' && UNTUNABLE.includes(entry.path))
            throw invalid(`cannot tune "${entry.path}"`);
          await core.unsealed.mounts.tune(entry, applyTune(core, entry, input));
        },
      },
      help: `Read or tune the settings of a ${noun}.`,
    }),
    definePath({
      pattern: `${base}/*path`,
      fields: enableFields,
      operations: {
        read: (_ctx, input) => {
          const entry = entryFor(core, table, input.path ?? '');
          return entry && { data: mountToWire(entry) };
        },
        update: (_ctx, input) => enableMount(core, table, input),
        delete: (_ctx, input) => disableMount(core, table, input.path ?? ''),
      },
      help: `Enable, read or disable a ${noun}.`,
    }),
  ];
}

const remountFields = {
  from: field.string('Current mount path.', { required: true }),
  to: field.string('New mount path.', { required: true }),
};

function splitTable(path: string): { table: MountTableName; path: string } {
  const normalized = normalizeMountPath(path);
  return normalized.startsWith('auth/')
    ? { table: 'auth', path: normalizeMountPath(normalized.slice(5)) }
    : { table: 'mounts', path: normalized };
}

export function sysMountPaths(core: Core) {
  const migrations = new Map<string, Record<string, unknown>>();
  return [
    ...mountPaths(core, 'mounts', 'mounts'),
    ...mountPaths(core, 'auth', 'auth'),
    definePath({
      pattern: 'remount',
      fields: remountFields,
      operations: {
        update: async (_ctx, input) => {
          const from = splitTable(input.from!);
          const to = splitTable(input.to!);
          if (from.table !== to.table)
            throw invalid('cannot remount between secrets engines and auth methods');
          const entry = core.unsealed.mounts.table.find(from.table, from.path);
          if (!entry) throw invalid(`no matching mount at "${input.from}"`);
          // The reserved paths enable refuses: a mount moved there could never be moved back or disabled.
          if (RESERVED[to.table].some((reserved) => to.path.startsWith(reserved)))
            throw invalid(`cannot remount to "${input.to}": the path is reserved`);
          if (['sys/', 'cubbyhole/', 'identity/', 'token/'].includes(entry.path))
            throw invalid(`cannot remount "${entry.path}"`);
          const id = randomUUID();
          // The move is done before answering; the status endpoint reports it for clients that poll.
          await core.unsealed.mounts.move(entry, to.table, to.path);
          migrations.set(id, { source_mount: input.from, target_mount: input.to, status: 'success' });
          return { data: { migration_id: id } };
        },
      },
      help: 'Move a mount to a new path.',
    }),
    definePath({
      pattern: 'remount/status/:migration_id',
      fields: { migration_id: field.string('Migration id.') },
      operations: {
        read: (_ctx, input) => {
          const info = migrations.get(input.migration_id ?? '');
          return info && { data: { migration_id: input.migration_id, migration_info: info } };
        },
      },
      help: 'Status of a remount.',
    }),
  ];
}
