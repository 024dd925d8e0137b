/** `lease lookup|renew|revoke`: leases of dynamic secrets under `sys/leases`. */
import { toSeconds } from '../../client/duration.js';
import type { Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs } from '../command.js';
import { outputSecret, printRawField } from '../format/output.js';
import { wrapAtLength } from '../io.js';

function show(ctx: Context, secret: Secret | undefined): number {
  if (!secret) return 0;
  return ctx.field ? printRawField(ctx.out, secret, ctx.field) : outputSecret(ctx.out, secret);
}

async function lookup(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const id = args[0].trim();
  try {
    return show(ctx, await ctx.client().sys.leaseLookup(id));
  } catch (error) {
    return ctx.fail(`error looking up lease id ${id}`, error);
  }
}

async function renew(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const id = args[0].trim();
  try {
    return show(ctx, await ctx.client().sys.leaseRenew(id, toSeconds(ctx.flags.duration('increment'))));
  } catch (error) {
    return ctx.fail(`Error renewing ${id}`, error);
  }
}

async function revoke(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const { force, prefix, sync } = {
    force: ctx.flags.bool('force'),
    prefix: ctx.flags.bool('prefix'),
    sync: ctx.flags.bool('sync'),
  };
  if (force && !prefix) return ctx.usage('Specifying -force requires also specifying -prefix');
  const id = args[0].trim();
  const sys = ctx.client().sys;
  if (force)
    ctx.ui.warn(
      wrapAtLength(
        'Warning! Force-removing leases can cause the server to become out of sync with secret engines!',
      ),
    );
  try {
    if (force) await sys.leaseRevokeForce(id);
    else if (prefix) await sys.leaseRevokePrefix(id, sync);
    else await sys.leaseRevoke(id, sync);
  } catch (error) {
    const what = force
      ? 'Error force revoking leases with prefix'
      : prefix
        ? 'Error revoking leases with prefix'
        : 'Error revoking lease';
    return ctx.fail(`${what} ${id}`, error);
  }
  if (force) ctx.ui.output(`Success! Force revoked any leases with prefix: ${id}`);
  else if (!sync) ctx.ui.output('All revocation operations queued successfully!');
  else
    ctx.ui.output(
      prefix ? `Success! Revoked any leases with prefix: ${id}` : `Success! Revoked lease: ${id}`,
    );
  return 0;
}

export const leaseCommands: Command[] = [
  {
    name: 'lease lookup',
    synopsis: 'Look up a lease',
    help: 'Usage: coffer lease lookup [options] ID\n\n  Shows when a lease was issued, when it expires and whether it can be renewed.',
    output: ['field', 'format'],
    run: lookup,
  },
  {
    name: 'lease renew',
    synopsis: 'Renew a lease',
    help: 'Usage: coffer lease renew [options] ID\n\n  Extends a renewable lease by -increment (or its default TTL).',
    output: ['field', 'format'],
    flags: [{ name: 'increment', aliases: ['i'], kind: 'duration', usage: 'Requested extension, e.g. 1h.' }],
    run: renew,
  },
  {
    name: 'lease revoke',
    synopsis: 'Revoke a lease or every lease under a prefix',
    help: `Usage: coffer lease revoke [options] ID

  Revokes a lease now. With -prefix, ID is a prefix and every lease under it is revoked; -force
  (with -prefix) drops them even when the backend fails to revoke the credentials.`,
    flags: [
      { name: 'prefix', kind: 'bool', usage: 'Treat ID as a prefix.' },
      {
        name: 'force',
        kind: 'bool',
        usage: 'Remove the leases even if the backend cannot revoke (needs -prefix).',
      },
      { name: 'sync', kind: 'bool', usage: 'Wait for the revocation to finish.' },
    ],
    run: revoke,
  },
];
