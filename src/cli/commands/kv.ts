/** `kv get|put|list|delete`: KV v1 and v2 through one syntax (the mount decides, via the preflight). */
import { isRecord, type Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs } from '../command.js';
import type { FlagDef } from '../flags.js';
import { outputData, outputList, outputSecret, printRawField, printWarnings } from '../format/output.js';
import { parseArgsData } from '../kv-args.js';
import { headerForMap, mountFlag, printPath, resolveTarget as target } from './kv-paths.js';

const casFlag: FlagDef = {
  name: 'cas',
  kind: 'int',
  default: -1,
  usage: 'Check-and-set version (v2); -1 means none.',
};

/** The kv layout: path banner (v2), metadata table, data table. */
function printKvSecret(ctx: Context, secret: Secret, fullPath: string, v2: boolean): number {
  printWarnings(ctx.ui, secret);
  if (v2) printPath(ctx, fullPath, 'Secret Path');
  const metadata = secret.data?.metadata;
  if (isRecord(metadata)) {
    ctx.ui.output(headerForMap('Metadata', metadata));
    outputData(ctx.out, metadata);
    ctx.ui.output('');
  }
  const data = v2 ? secret.data?.data : secret.data;
  if (isRecord(data)) {
    ctx.ui.output(headerForMap('Data', data));
    outputData(ctx.out, data);
  }
  return 0;
}

async function get(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const t = await target(ctx, args[0], 'data');
  if (!t) return 2;
  const version = ctx.flags.int('version');
  let secret: Secret | undefined;
  try {
    secret = await ctx
      .client()
      .read(t.fullPath, t.v2 && version > 0 ? { version: String(version) } : undefined);
  } catch (error) {
    return ctx.fail(`Error reading ${t.fullPath}`, error);
  }
  if (!secret) {
    ctx.ui.error(`No value found at ${t.fullPath}`);
    return 2;
  }
  if (ctx.field) {
    if (!t.v2) return printRawField(ctx.out, secret, ctx.field);
    const data = secret.data?.data;
    if (!isRecord(data)) {
      ctx.ui.error(`No data found at ${t.fullPath}`);
      return 2;
    }
    // A field literally named "data" may be the user's key or the data block itself.
    if (ctx.field === 'data' && !('data' in data)) return printRawField(ctx.out, secret, 'data');
    return printRawField(ctx.out, data, ctx.field, false);
  }
  if (secret.wrap_info || ctx.format !== 'table') return outputSecret(ctx.out, secret);
  return printKvSecret(ctx, secret, t.fullPath, t.v2);
}

/** put and patch share the answer: the new version's metadata under a path banner. */
export function printWrite(ctx: Context, secret: Secret | undefined, fullPath: string): number {
  if (!secret) return ctx.written(fullPath);
  if (ctx.field) return printRawField(ctx.out, secret, ctx.field);
  if (secret.wrap_info?.ttl || ctx.format !== 'table') return outputSecret(ctx.out, secret);
  printWarnings(ctx.ui, secret);
  printPath(ctx, fullPath, 'Secret Path');
  ctx.ui.output(headerForMap('Metadata', secret.data ?? {}));
  return outputData(ctx.out, secret.data ?? {});
}

async function put(ctx: Context, args: string[]): Promise<number> {
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected >1, got ${args.length})`);
  if (args.length === 1) return ctx.usage('Must supply data');
  let data: Record<string, unknown>;
  try {
    data = await parseArgsData(args.slice(1), ctx.kvInput);
  } catch (error) {
    return ctx.usage(`Failed to parse K=V data: ${(error as Error).message}`);
  }
  const t = await target(ctx, args[0], 'data');
  if (!t) return 2;
  const cas = ctx.flags.int('cas');
  const body = t.v2 ? { data, options: cas > -1 ? { cas } : {} } : data;
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().write(t.fullPath, body);
  } catch (error) {
    return ctx.fail(`Error writing data to ${t.fullPath}`, error);
  }
  return printWrite(ctx, secret, t.fullPath);
}

async function list(ctx: Context, args: string[]): Promise<number> {
  // With -mount the path may be left out: the mount's top level is listed.
  if (args.length === 0 && ctx.flags.string('mount')) args = [''];
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const t = await target(ctx, args[0], 'metadata');
  if (!t) return 2;
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().list(t.fullPath);
  } catch (error) {
    return ctx.fail(`Error listing ${t.fullPath}`, error);
  }
  if (!secret || !Array.isArray(secret.data?.keys)) {
    if (ctx.format !== 'table') outputData(ctx.out, {});
    else ctx.ui.error(`No value found at ${t.fullPath}`);
    return 2;
  }
  return secret.wrap_info?.ttl ? outputSecret(ctx.out, secret) : outputList(ctx.out, secret);
}

async function remove(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const versions = ctx.flags
    .list('versions')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const t = await target(ctx, args[0], versions.length ? 'delete' : 'data');
  if (!t) return 2;
  try {
    const client = ctx.client();
    // Specific versions are soft-deleted through delete/<path>; otherwise the latest goes.
    if (t.v2 && versions.length) await client.write(t.fullPath, { versions });
    else await client.delete(t.fullPath);
  } catch (error) {
    return ctx.fail(`Error deleting ${t.fullPath}`, error);
  }
  ctx.ui.output(`Success! Data deleted (if it existed) at: ${t.fullPath}`);
  return 0;
}

export const kvCommands: Command[] = [
  {
    name: 'kv get',
    synopsis: 'Retrieve data',
    help: `Usage: coffer kv get [options] KEY

  Reads a key from a KV mount, v1 or v2 (found out from the mount). On v2, -version picks an
  older version and -field looks inside the secret's data.`,
    output: ['field', 'format'],
    flags: [mountFlag, { name: 'version', kind: 'int', usage: 'Version to read (v2); latest by default.' }],
    run: get,
  },
  {
    name: 'kv put',
    synopsis: 'Set or update data in the KV store',
    help: `Usage: coffer kv put [options] KEY [DATA K=V...]

  Writes the K=V pairs as the new value of KEY (a new version on v2). Values take @file and -.`,
    output: ['field', 'format'],
    flags: [mountFlag, casFlag],
    run: put,
  },
  {
    name: 'kv list',
    synopsis: 'List data or secrets',
    help: 'Usage: coffer kv list [options] PATH\n\n  Lists the keys under PATH of a KV mount.',
    output: ['format', 'detailed'],
    flags: [mountFlag],
    run: list,
  },
  {
    name: 'kv delete',
    synopsis: 'Delete versions of a key',
    help: `Usage: coffer kv delete [options] KEY

  Deletes KEY (v1), or soft-deletes its latest version, or the -versions given (v2).`,
    flags: [
      mountFlag,
      { name: 'versions', kind: 'stringSlice', usage: 'Versions to delete (v2), e.g. 1,2.' },
    ],
    run: remove,
  },
];
