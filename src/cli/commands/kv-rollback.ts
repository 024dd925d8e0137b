/**
 * `kv rollback`: writes an older version's data as the new latest version of a KV v2 key, with
 * check-and-set on the version read first so a concurrent write is never overwritten.
 */
import type { Secret } from '../../client/secret.js';
import type { Command, Context } from '../command.js';
import { outputSecret } from '../format/output.js';
import { dataRefusal, kvPreRead, mountFlag, type VersionRead, v2Path } from './kv-paths.js';

/** Why `target` cannot be rolled back to, or undefined when it can. */
function refusal(path: string, target: VersionRead): string | undefined {
  // As vault, any deletion_time refuses, even one still in the future (delete_version_after).
  if (typeof target.metadata.deletion_time === 'string' && target.metadata.deletion_time !== '')
    return 'Cannot roll back to a version that has been deleted';
  if (target.metadata.destroyed === true) return 'Cannot roll back to a version that has been destroyed';
  return dataRefusal(path, target.data, 'rollback');
}

async function rollback(ctx: Context, args: string[]): Promise<number> {
  if (args.length !== 1) return ctx.usage(`Invalid number of arguments (expected 1, got ${args.length})`);
  if (!ctx.flags.isSet('version')) return ctx.usage('Version flag must be specified');
  const version = ctx.flags.int('version');
  if (version <= 0) return ctx.usage(`Invalid value ${version} for the version flag`);
  const path = await v2Path(ctx, args[0], 'data', {
    message: 'KV engine mount must be version 2 for rollback support',
    code: 2,
  });
  if (typeof path === 'number') return path;
  const current = await kvPreRead(ctx, path, 'rollback');
  if (typeof current === 'number') return current;
  const target = await kvPreRead(ctx, path, 'rollback', { version });
  if (typeof target === 'number') return target;
  const reason = refusal(path, target);
  if (reason) {
    ctx.ui.error(reason);
    return 2;
  }
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().write(path, {
      data: target.data,
      options: { cas: current.metadata.version },
    });
  } catch (error) {
    return ctx.fail(`Error writing data to ${path}`, error);
  }
  if (!secret) return ctx.written(path);
  return outputSecret(ctx.out, secret);
}

export const kvRollbackCommands: Command[] = [
  {
    name: 'kv rollback',
    synopsis: 'Rolls back to a previous version of data',
    help: `Usage: coffer kv rollback [options] -version=N KEY

  KV v2 only. Writes the data of version N of KEY as a new version: with 5 versions, rolling back to
  version 2 makes its data version 6. Deleted and destroyed versions cannot be rolled back to.

      $ coffer kv rollback -mount=secret -version=2 app`,
    output: ['format'],
    flags: [mountFlag, { name: 'version', kind: 'int', usage: 'Version whose data becomes current again.' }],
    run: rollback,
  },
];
