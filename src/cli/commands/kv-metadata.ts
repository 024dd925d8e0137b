/**
 * `kv metadata put|patch`: the settings of a KV v2 key (max versions, check-and-set, automatic deletion,
 * custom metadata). Only the flags given are sent, so a setting left out keeps its stored value.
 */
import { formatGoDuration } from '../../client/duration.js';
import type { Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs } from '../command.js';
import type { FlagDef } from '../flags.js';
import { outputSecret } from '../format/output.js';
import { mountFlag, v2Path } from './kv-paths.js';

const settingFlags: FlagDef[] = [
  mountFlag,
  {
    name: 'max-versions',
    kind: 'int',
    default: -1,
    usage: 'Versions to keep; 0 means the mount setting. Unset leaves it as it is.',
  },
  {
    name: 'cas-required',
    kind: 'bool',
    usage: 'Require check-and-set on every write to the key; false defers to the mount setting.',
  },
  {
    name: 'delete-version-after',
    kind: 'duration',
    usage:
      'Soft-delete each version this long after it is written, e.g. "30s" or "3h25m19s"; 0s turns it off.',
  },
  {
    name: 'custom-metadata',
    kind: 'stringMap',
    usage: 'key=value metadata describing the secret (not secret itself); repeatable.',
  },
];

const removeFlag: FlagDef = {
  name: 'remove-custom-metadata',
  kind: 'stringSlice',
  usage: 'Custom metadata key to remove; repeatable.',
};

/** The settings named on the command line, in the wire's names. */
function settingsBody(ctx: Pick<Context, 'flags'>): Record<string, unknown> {
  const f = ctx.flags;
  const body: Record<string, unknown> = {};
  if (f.int('max-versions') >= 0) body.max_versions = f.int('max-versions');
  if (f.isSet('cas-required')) body.cas_required = f.bool('cas-required');
  const after = f.duration('delete-version-after');
  if (f.isSet('delete-version-after') && after >= 0n) body.delete_version_after = formatGoDuration(after);
  return body;
}

async function writeMetadata(ctx: Context, args: string[], method: 'put' | 'patch'): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = await v2Path(ctx, args[0], 'metadata', {
    message: 'Metadata not supported on KV Version 1',
    code: 1,
  });
  if (typeof path === 'number') return path;
  const body = settingsBody(ctx);
  const custom: Record<string, string | null> = { ...ctx.flags.map('custom-metadata') };
  let secret: Secret | undefined;
  try {
    if (method === 'patch') {
      // null removes a key in a merge patch; vault always sends the map, empty when no flag names one.
      for (const key of ctx.flags.list('remove-custom-metadata')) custom[key] = null;
      secret = await ctx.client().patch(path, { ...body, custom_metadata: custom });
    } else {
      // PUT replaces the whole map, so it is only sent when the caller gave one.
      if (Object.keys(custom).length > 0) body.custom_metadata = custom;
      secret = await ctx.client().write(path, body);
    }
  } catch (error) {
    return ctx.fail(`Error writing data to ${path}`, error);
  }
  if (!secret) return ctx.written(path);
  return outputSecret(ctx.out, secret);
}

export const kvMetadataCommands: Command[] = [
  {
    name: 'kv metadata put',
    synopsis: 'Sets or updates key settings in the KV store',
    help: `Usage: coffer kv metadata put [options] KEY

  Creates KEY with no data, or changes its settings. Settings not given keep their value; a given
  -custom-metadata replaces the whole map.

      $ coffer kv metadata put -mount=secret -max-versions=5 -cas-required app
      $ coffer kv metadata put -mount=secret -custom-metadata=owner=ops app`,
    output: ['format'],
    flags: settingFlags,
    run: (ctx, args) => writeMetadata(ctx, args, 'put'),
  },
  {
    name: 'kv metadata patch',
    synopsis: 'Patches key settings in the KV store',
    help: `Usage: coffer kv metadata patch [options] KEY

  Changes the settings of an existing KEY (JSON merge patch): -custom-metadata adds or replaces single
  entries and -remove-custom-metadata drops them, leaving the others.

      $ coffer kv metadata patch -mount=secret -custom-metadata=env=prod -remove-custom-metadata=old app`,
    output: ['format'],
    flags: [...settingFlags, removeFlag],
    run: (ctx, args) => writeMetadata(ctx, args, 'patch'),
  },
];
