/** `kv undelete|destroy|metadata get|metadata delete`: KV v2 version and metadata management. */
import { isRecord, type Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs } from '../command.js';
import type { FlagDef } from '../flags.js';
import { outputData, outputSecret, printRawField } from '../format/output.js';
import { headerForMap, mountFlag, printPath, v2Path } from './kv-paths.js';

const versionsFlag: FlagDef = {
  name: 'versions',
  kind: 'stringSlice',
  usage: 'Versions, e.g. 1,2 (repeatable).',
};

const notOnV1 = (what: string) => ({ message: `${what} not supported on KV Version 1`, code: 1 });

/** undelete and destroy: the listed versions, sent as strings as the Go CLI does. */
async function versionsCommand(
  ctx: Context,
  args: string[],
  prefix: 'undelete' | 'destroy',
): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const versions = ctx.flags
    .list('versions')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (versions.length === 0) {
    return ctx.usage(`No versions provided, use the "-versions" flag to specify the version to ${prefix}.`);
  }
  const path = await v2Path(ctx, args[0], prefix, notOnV1(prefix === 'undelete' ? 'Undelete' : 'Destroy'));
  if (typeof path === 'number') return path;
  try {
    await ctx.client().write(path, { versions });
  } catch (error) {
    return ctx.fail(`Error writing data to ${path}`, error);
  }
  ctx.ui.output(`Success! Data written to: ${path}`);
  return 0;
}

async function metadataGet(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = await v2Path(ctx, args[0], 'metadata', notOnV1('Metadata'));
  if (typeof path === 'number') return path;
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().read(path);
  } catch (error) {
    return ctx.fail(`Error reading ${path}`, error);
  }
  const versions = secret?.data?.versions;
  if (!secret || !isRecord(versions)) {
    ctx.ui.error(`No value found at ${path}`);
    return 2;
  }
  if (ctx.field) return printRawField(ctx.out, secret, ctx.field);
  if (ctx.format !== 'table') return outputSecret(ctx.out, secret);
  const { versions: _versions, ...rest } = secret.data ?? {};
  printPath(ctx, path, 'Metadata Path');
  ctx.ui.output(headerForMap('Metadata', rest));
  outputSecret(ctx.out, { ...secret, data: rest, lease_duration: 0 });
  for (const v of Object.keys(versions).sort((a, b) => Number(a) - Number(b))) {
    const info = isRecord(versions[v]) ? versions[v] : {};
    ctx.ui.output(`\n${headerForMap(`Version ${v}`, info)}`);
    outputData(ctx.out, info);
  }
  return 0;
}

async function metadataDelete(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = await v2Path(ctx, args[0], 'metadata', notOnV1('Metadata'));
  if (typeof path === 'number') return path;
  try {
    await ctx.client().delete(path);
  } catch (error) {
    return ctx.fail(`Error deleting ${path}`, error);
  }
  ctx.ui.output(`Success! Data deleted (if it existed) at: ${path}`);
  return 0;
}

export const kvVersionCommands: Command[] = [
  {
    name: 'kv undelete',
    synopsis: 'Undelete versions of a KV v2 key',
    help: 'Usage: coffer kv undelete [options] -versions=N KEY\n\n  Restores soft-deleted versions of KEY.',
    flags: [mountFlag, versionsFlag],
    run: (ctx, args) => versionsCommand(ctx, args, 'undelete'),
  },
  {
    name: 'kv destroy',
    synopsis: 'Permanently remove versions of a KV v2 key',
    help: 'Usage: coffer kv destroy [options] -versions=N KEY\n\n  Erases the given versions of KEY for good.',
    flags: [mountFlag, versionsFlag],
    run: (ctx, args) => versionsCommand(ctx, args, 'destroy'),
  },
  {
    name: 'kv metadata get',
    synopsis: 'Show the metadata and versions of a KV v2 key',
    help: 'Usage: coffer kv metadata get [options] KEY\n\n  Shows the settings of KEY and the state of each version.',
    output: ['field', 'format'],
    flags: [mountFlag],
    run: metadataGet,
  },
  {
    name: 'kv metadata delete',
    synopsis: 'Delete a KV v2 key with all its versions',
    help: 'Usage: coffer kv metadata delete [options] KEY\n\n  Removes KEY, every version and its metadata.',
    flags: [mountFlag],
    run: metadataDelete,
  },
];
