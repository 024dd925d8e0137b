/**
 * `kv rollback`: writes an older version's data as the new latest version of a KV v2 key, with
 * check-and-set on the version read first so a concurrent write is never overwritten.
 */
import { isRecord, type Secret } from '../../client/secret.js';
import { type Command, type Context, sanitizePath } from '../command.js';
import { outputSecret } from '../format/output.js';
import { mountFlag, v2Path } from './kv-paths.js';

interface VersionRead {
  metadata: Record<string, unknown>;
  data: unknown;
}

/** One version (the latest when `version` is undefined), or the exit code once the reason is printed. */
async function preRead(ctx: Context, path: string, version?: number): Promise<VersionRead | number> {
  let secret: Secret | undefined;
  try {
    secret = await ctx.client().read(path, version ? { version: String(version) } : undefined);
  } catch (error) {
    return ctx.fail(`Error doing pre-read at ${path}`, error);
  }
  const fail = (message: string) => {
    ctx.ui.error(message);
    return 2;
  };
  // A deleted version still answers (404) with its metadata: the Go client keeps such a body.
  if (!secret?.data) return fail(`No value found at ${path}`);
  const { metadata, data } = secret.data;
  if (metadata === undefined || metadata === null)
    return fail(`No metadata found at ${path}; rollback only works on existing data`);
  if (!isRecord(metadata)) return fail(`Metadata found at ${path} is not the expected type (JSON object)`);
  return { metadata, data };
}

/** Why `target` cannot be rolled back to, or undefined when it can. */
function refusal(path: string, target: VersionRead): string | undefined {
  // As vault, any deletion_time refuses, even one still in the future (delete_version_after).
  if (typeof target.metadata.deletion_time === 'string' && target.metadata.deletion_time !== '')
    return 'Cannot roll back to a version that has been deleted';
  if (target.metadata.destroyed === true) return 'Cannot roll back to a version that has been destroyed';
  if (target.data === undefined || target.data === null)
    return `No data found at ${path}; rollback only works on existing data`;
  if (!isRecord(target.data)) return `Data found at ${path} is not the expected type (JSON object)`;
  return undefined;
}

async function rollback(ctx: Context, args: string[]): Promise<number> {
  if (args.length !== 1) return ctx.usage(`Invalid number of arguments (expected 1, got ${args.length})`);
  if (!ctx.flags.isSet('version')) return ctx.usage('Version flag must be specified');
  const version = ctx.flags.int('version');
  if (version <= 0) return ctx.usage(`Invalid value ${version} for the version flag`);
  const path = await v2Path(ctx, sanitizePath(args[0]), 'data', {
    message: 'KV engine mount must be version 2 for rollback support',
    code: 2,
  });
  if (typeof path === 'number') return path;
  const current = await preRead(ctx, path);
  if (typeof current === 'number') return current;
  const target = await preRead(ctx, path, version);
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
  if (!secret) {
    if (ctx.format === 'table') ctx.ui.output(`Success! Data written to: ${path}`);
    return 0;
  }
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
