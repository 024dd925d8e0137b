/** `secrets enable|disable|list|tune|move`: secrets engine mounts under `sys/mounts`. */
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
    await ctx.client().sys.mount(path, enableInput(ctx.flags, type));
  } catch (error) {
    return ctx.fail('Error enabling', error);
  }
  const version = ctx.flags.string('plugin-version');
  ctx.ui.output(
    `Success! Enabled the ${type} secrets engine${version ? ` version ${version}` : ''} at: ${path}`,
  );
  return 0;
}

async function disable(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.unmount(path);
  } catch (error) {
    return ctx.fail(`Error disabling secrets engine at ${path}`, error);
  }
  ctx.ui.output(`Success! Disabled the secrets engine (if it existed) at: ${path}`);
  return 0;
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  let mounts: MountTable;
  try {
    mounts = await ctx.client().sys.listMounts();
  } catch (error) {
    return ctx.fail('Error listing secrets engines', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, mounts);
  ctx.ui.output(table(...mountRows(mounts, ctx.out.detailed, 'secrets')));
  return 0;
}

async function tune(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.tuneMount(path, tuneInput(ctx.flags));
  } catch (error) {
    return ctx.fail(`Error tuning secrets engine ${path}`, error);
  }
  ctx.ui.output(`Success! Tuned the secrets engine at: ${path}`);
  return 0;
}

async function move(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 2);
  if (bad !== undefined) return bad;
  const [from, to] = args.map((a) => ensureTrailingSlash(sanitizePath(a)));
  return moveMount(ctx, from, to, 'secrets engine');
}

export const secretsCommands: Command[] = [
  {
    name: 'secrets enable',
    synopsis: 'Enable a secrets engine',
    help: `Usage: coffer secrets enable [options] TYPE

  Mounts a secrets engine of TYPE at -path (default: TYPE). -version=2 on kv gives KV v2.`,
    flags: enableFlags('secrets'),
    run: enable,
  },
  {
    name: 'secrets disable',
    synopsis: 'Disable a secrets engine',
    help: `Usage: coffer secrets disable [options] PATH

  Unmounts the engine at PATH: its data is deleted and its leases are revoked.`,
    run: disable,
  },
  {
    name: 'secrets list',
    synopsis: 'List enabled secrets engines',
    help: 'Usage: coffer secrets list [options]\n\n  Lists the mounted secrets engines.',
    output: ['format', 'detailed'],
    run: list,
  },
  {
    name: 'secrets tune',
    synopsis: 'Tune a secrets engine configuration',
    help: `Usage: coffer secrets tune [options] PATH

  Changes the settings of the engine mounted at PATH; flags not given are left as they are.`,
    flags: tuneFlags('secrets'),
    run: tune,
  },
  {
    name: 'secrets move',
    synopsis: 'Move a secrets engine to a new path',
    help: `Usage: coffer secrets move [options] SOURCE DESTINATION

  Moves a mounted engine, with its data and leases, to a new path.`,
    run: move,
  },
];
