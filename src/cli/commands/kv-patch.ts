/**
 * `kv patch`: changes part of a KV v2 key. An HTTP PATCH (JSON merge patch) by default; `-method=rw` reads,
 * merges locally and writes back with check-and-set, which is also the fallback when PATCH is refused.
 */
import { ApiError } from '../../client/errors.js';
import type { Secret } from '../../client/secret.js';
import type { Command, Context } from '../command.js';
import type { FlagDef } from '../flags.js';
import { parseArgsData } from '../kv-args.js';
import { printWrite } from './kv.js';
import { dataRefusal, kvPreRead, mountFlag, v2Path } from './kv-paths.js';

const patchFlags: FlagDef[] = [
  mountFlag,
  {
    name: 'cas',
    kind: 'int',
    default: 0,
    usage: 'Check-and-set version; 0 or unset patches whatever the current version is.',
  },
  {
    name: 'method',
    kind: 'string',
    usage: '"patch" (HTTP PATCH only) or "rw" (read, merge, write); unset tries PATCH, then rw on 403/405.',
  },
  { name: 'remove-data', kind: 'stringSlice', usage: 'Key to remove from the data; repeatable.' },
];

/** A secret, or the exit code once the failure is printed. */
type Outcome = Secret | undefined | number;

/** The pre-read of `rw`: it must find a live version with a metadata block to take the cas from. */
interface CurrentVersion {
  data: Record<string, unknown>;
  /** The version the write must still find current. */
  cas: unknown;
}

async function readCurrent(ctx: Context, path: string): Promise<CurrentVersion | number> {
  // Sent even under -output-curl-string: the printed command is the write, as in vault.
  const current = await kvPreRead(ctx, path, 'patch', { sendInCurlMode: true });
  if (typeof current === 'number') return current;
  const refused = dataRefusal(path, current.data, 'patch');
  if (refused) {
    ctx.ui.error(refused);
    return 2;
  }
  return { data: current.data as Record<string, unknown>, cas: current.metadata.version };
}

async function readThenWrite(ctx: Context, path: string, changes: Record<string, unknown>): Promise<Outcome> {
  const current = await readCurrent(ctx, path);
  if (typeof current === 'number') return current;
  const data = { ...current.data };
  for (const [key, value] of Object.entries(changes)) {
    // vault's rw merge would store the null of -remove-data as a value; removing the key is what was asked.
    if (value === null) delete data[key];
    else data[key] = value;
  }
  try {
    return await ctx.client().write(path, { data, options: { cas: current.cas } });
  } catch (error) {
    return ctx.fail(`Error writing data to ${path}`, error);
  }
}

async function mergePatch(
  ctx: Context,
  path: string,
  changes: Record<string, unknown>,
  fallBack: boolean,
): Promise<Outcome> {
  const cas = ctx.flags.int('cas');
  try {
    return await ctx.client().patch(path, { data: changes, options: cas > 0 ? { cas } : {} });
  } catch (error) {
    // 405: a server without PATCH; 403: a policy without the patch capability.
    const status = error instanceof ApiError ? error.status : 0;
    if (fallBack && status === 405) return readThenWrite(ctx, path, changes);
    if (fallBack && status === 403) {
      ctx.ui.warn(
        `Data was written to ${path} but we recommend that you add the "patch" capability to your ACL policy in order to use HTTP PATCH in the future.`,
      );
      return readThenWrite(ctx, path, changes);
    }
    return ctx.fail(`Error writing data to ${path}`, error);
  }
}

async function patch(ctx: Context, args: string[]): Promise<number> {
  const removals = ctx.flags.list('remove-data');
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected >1, got ${args.length})`);
  if (args.length === 1 && removals.length === 0) return ctx.usage('Must supply data');
  let changes: Record<string, unknown>;
  try {
    changes = await parseArgsData(args.slice(1), ctx.kvInput);
  } catch (error) {
    return ctx.usage(`Failed to parse K=V data: ${(error as Error).message}`);
  }
  const path = await v2Path(ctx, args[0], 'data', {
    message: 'KV engine mount must be version 2 for patch support',
    code: 2,
  });
  if (typeof path === 'number') return path;
  for (const key of removals) changes[key] = null; // null removes the key in a JSON merge patch
  const method = ctx.flags.string('method');
  let outcome: Outcome;
  if (method === 'rw') outcome = await readThenWrite(ctx, path, changes);
  else if (method === 'patch' || method === '') outcome = await mergePatch(ctx, path, changes, method === '');
  else {
    ctx.ui.error(`Unsupported method provided to -method flag: ${method}`);
    return 2;
  }
  return typeof outcome === 'number' ? outcome : printWrite(ctx, outcome, path);
}

export const kvPatchCommands: Command[] = [
  {
    name: 'kv patch',
    synopsis: 'Sets or updates data in the KV store without overwriting',
    help: `Usage: coffer kv patch [options] KEY [DATA K=V...]

  Merges the K=V pairs into the latest version of a KV v2 KEY, keeping its other keys, and writes the
  result as a new version. Values take @file and -; -remove-data drops keys.

      $ coffer kv patch -mount=secret app password=new
      $ coffer kv patch -mount=secret -remove-data=old_key app`,
    output: ['field', 'format'],
    flags: patchFlags,
    run: patch,
  },
];
