/** `kv enable-versioning`: tunes a KV mount to version 2; the server turns each key into version 1. */
import { type Command, type Context, checkArgs, ensureTrailingSlash, sanitizePath } from '../command.js';

async function enableVersioning(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const mountPath = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.tuneMount(mountPath, { options: { version: '2' } });
  } catch (error) {
    return ctx.fail(`Error tuning secrets engine ${mountPath}`, error);
  }
  ctx.ui.output(`Success! Tuned the secrets engine at: ${mountPath}`);
  return 0;
}

export const kvEnableVersioningCommands: Command[] = [
  {
    name: 'kv enable-versioning',
    synopsis: 'Turns on versioning for a KV store',
    help: `Usage: coffer kv enable-versioning [options] MOUNT

  Upgrades the KV v1 mount at MOUNT to v2. Existing keys are kept, each as its version 1. There is no
  way back to v1.

      $ coffer kv enable-versioning kv`,
    output: ['format'],
    run: enableVersioning,
  },
];
