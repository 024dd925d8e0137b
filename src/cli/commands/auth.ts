/** `auth enable|disable|list|tune|move`: auth method mounts under `sys/auth`. */
import type { MountTable } from '../../client/sys.js';
import { type Command, type Context, checkArgs, ensureTrailingSlash, sanitizePath } from '../command.js';
import { outputData } from '../format/output.js';
import { table } from '../format/table.js';
import { enableFlags, enableInput, mountRows, tuneFlags, tuneInput } from './mount-flags.js';
import { moveMount } from './mount-move.js';

async function enable(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  let type = args[0].trim();
  if (type === 'plugin') type = ctx.flags.string('plugin-name');
  const path = ensureTrailingSlash(ctx.flags.string('path') || type);
  try {
    await ctx.client().sys.enableAuth(path, enableInput(ctx.flags, type));
  } catch (error) {
    return ctx.fail(`Error enabling ${type} auth`, error);
  }
  const version = ctx.flags.string('plugin-version');
  ctx.ui.output(`Success! Enabled ${type} auth method${version ? ` version ${version}` : ''} at: ${path}`);
  return 0;
}

async function disable(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.disableAuth(path);
  } catch (error) {
    return ctx.fail(`Error disabling auth method at ${path}`, error);
  }
  ctx.ui.output(`Success! Disabled the auth method (if it existed) at: ${path}`);
  return 0;
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  let mounts: MountTable;
  try {
    mounts = await ctx.client().sys.listAuth();
  } catch (error) {
    return ctx.fail('Error listing enabled authentications', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, mounts);
  ctx.ui.output(table(...mountRows(mounts, ctx.out.detailed, 'auth')));
  return 0;
}

/**
 * Tunes through `sys/auth/<path>/tune`. The Go CLI posts to `sys/mounts/auth/<path>/tune` instead; both
 * are Vault routes, and this one is the documented auth form.
 */
async function tune(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.tuneAuth(path, tuneInput(ctx.flags));
  } catch (error) {
    return ctx.fail(`Error tuning auth method ${path}`, error);
  }
  ctx.ui.output(`Success! Tuned the auth method at: ${path}`);
  return 0;
}

async function move(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 2);
  if (bad !== undefined) return bad;
  // Auth mounts live under auth/ in the remount API.
  const [from, to] = args.map(
    (a) => `auth/${ensureTrailingSlash(sanitizePath(sanitizePath(a).replace(/^auth\//, '')))}`,
  );
  return moveMount(ctx, from, to, 'auth method');
}

export const authCommands: Command[] = [
  {
    name: 'auth enable',
    synopsis: 'Enable an auth method',
    help: `Usage: coffer auth enable [options] TYPE

  Mounts an auth method of TYPE at auth/<-path> (default: TYPE).`,
    flags: enableFlags('auth'),
    run: enable,
  },
  {
    name: 'auth disable',
    synopsis: 'Disable an auth method',
    help: `Usage: coffer auth disable [options] PATH

  Unmounts the auth method at PATH and revokes every token it issued.`,
    run: disable,
  },
  {
    name: 'auth list',
    synopsis: 'List enabled auth methods',
    help: 'Usage: coffer auth list [options]\n\n  Lists the mounted auth methods.',
    output: ['format', 'detailed'],
    run: list,
  },
  {
    name: 'auth tune',
    synopsis: 'Tune an auth method configuration',
    help: `Usage: coffer auth tune [options] PATH

  Changes the settings of the auth method mounted at PATH; flags not given are left as they are.`,
    flags: tuneFlags('auth'),
    run: tune,
  },
  {
    name: 'auth move',
    synopsis: 'Move an auth method to a new path',
    help: `Usage: coffer auth move [options] SOURCE DESTINATION

  Moves an auth method to a new path; its tokens stay valid.`,
    run: move,
  },
];
