/** `read`, `write`, `list`, `delete`: the generic commands on any API path. */
import type { Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs, sanitizePath } from '../command.js';
import { outputData, outputList, outputSecret, printRawField } from '../format/output.js';
import { parseArgsData, toStringLists } from '../kv-args.js';

async function kvData(ctx: Context, args: string[]): Promise<Record<string, unknown> | number> {
  try {
    return await parseArgsData(args, ctx.kvInput);
  } catch (error) {
    return ctx.usage(`Failed to parse K=V data: ${(error as Error).message}`);
  }
}

function show(ctx: Context, secret: Secret): number {
  return ctx.field ? printRawField(ctx.out, secret, ctx.field) : outputSecret(ctx.out, secret);
}

async function read(ctx: Context, args: string[]): Promise<number> {
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected 1, got ${args.length})`);
  const path = sanitizePath(args[0]);
  const data = await kvData(ctx, args.slice(1));
  if (typeof data === 'number') return data;
  const client = ctx.client();
  if (ctx.format === 'raw') {
    try {
      const res = await client.request({ method: 'GET', path, query: toStringLists(data), accept: [404] });
      if (res.status === 404 || res.body === undefined) {
        ctx.ui.error(`No value found at ${path}`);
        return 2;
      }
      ctx.ui.output(typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
      return 0;
    } catch (error) {
      return ctx.fail(`Error reading: ${path}`, error);
    }
  }
  let secret: Secret | undefined;
  try {
    secret = await client.read(path, toStringLists(data));
  } catch (error) {
    return ctx.fail(`Error reading ${path}`, error);
  }
  if (!secret) {
    ctx.ui.error(`No value found at ${path}`);
    return 2;
  }
  return show(ctx, secret);
}

async function write(ctx: Context, args: string[]): Promise<number> {
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected 1, got ${args.length})`);
  if (args.length === 1 && !ctx.flags.bool('force')) return ctx.usage('Must supply data or use -force');
  const path = sanitizePath(args[0]);
  const data = await kvData(ctx, args.slice(1));
  if (typeof data === 'number') return data;
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().write(path, data);
  } catch (error) {
    return ctx.fail(`Error writing data to ${path}`, error);
  }
  if (!secret) return ctx.written(path);
  return show(ctx, secret);
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = sanitizePath(args[0]);
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().list(path);
  } catch (error) {
    return ctx.fail(`Error listing ${path}`, error);
  }
  if (secret?.wrap_info?.ttl) return outputSecret(ctx.out, secret);
  const hasKeys = Array.isArray(secret?.data?.keys);
  if (ctx.format !== 'table' && (!secret?.data || !hasKeys)) {
    outputData(ctx.out, {});
    return 2;
  }
  if (!secret) {
    ctx.ui.error(`No value found at ${path}`);
    return 2;
  }
  // Warnings without data are still worth showing.
  if (!secret.data) return outputSecret(ctx.out, secret);
  if (!hasKeys) {
    ctx.ui.error(`No entries found at ${path}`);
    return 2;
  }
  return outputList(ctx.out, secret);
}

async function remove(ctx: Context, args: string[]): Promise<number> {
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected 1, got ${args.length})`);
  const path = sanitizePath(args[0]);
  const data = await kvData(ctx, args.slice(1));
  if (typeof data === 'number') return data;
  try {
    const secret = await ctx.client().delete(path, toStringLists(data));
    if (secret?.warnings?.length) outputSecret(ctx.out, secret);
  } catch (error) {
    return ctx.fail(`Error deleting ${path}`, error);
  }
  ctx.ui.output(`Success! Data deleted (if it existed) at: ${path}`);
  return 0;
}

export const logicalCommands: Command[] = [
  {
    name: 'read',
    synopsis: 'Read data and retrieve secrets',
    help: `Usage: coffer read [options] PATH [K=V...]

  Reads PATH (GET). K=V pairs are sent as query parameters. Exit 2 with "No value found at PATH"
  when there is nothing there. -format=raw prints the response body as received.`,
    output: ['field', 'format'],
    run: read,
  },
  {
    name: 'write',
    synopsis: 'Write data, configuration and secrets',
    help: `Usage: coffer write [options] PATH [K=V...]

  Writes K=V pairs to PATH (PUT, JSON body). A value "@file" is read from the file, "-" from stdin;
  a lone "-" reads a whole JSON object from stdin, and "@file.json" one from a file. A repeated key
  becomes a list. Use -force to write with no data.`,
    output: ['field', 'format'],
    flags: [
      { name: 'force', aliases: ['f'], kind: 'bool', usage: 'Write even when no K=V pairs are given.' },
    ],
    run: write,
  },
  {
    name: 'list',
    synopsis: 'List data or secrets',
    help: `Usage: coffer list [options] PATH

  Lists the keys under PATH (the LIST verb). Keys ending in "/" are folders.`,
    output: ['format', 'detailed'],
    run: list,
  },
  {
    name: 'delete',
    synopsis: 'Delete secrets and configuration',
    help: `Usage: coffer delete [options] PATH [K=V...]

  Deletes PATH (DELETE). K=V pairs are sent as query parameters.`,
    run: remove,
  },
];
