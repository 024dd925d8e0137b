/** `token create|lookup|renew|revoke|capabilities`: the token store from the command line. */
import { formatGoDuration, toSeconds } from '../../client/duration.js';
import type { Secret } from '../../client/secret.js';
import { type Command, type Context, checkArgs } from '../command.js';
import type { FlagDef } from '../flags.js';
import { outputData, outputSecret, printRawField } from '../format/output.js';

function show(ctx: Context, secret: Secret | undefined): number {
  if (!secret) return 0;
  return ctx.field ? printRawField(ctx.out, secret, ctx.field) : outputSecret(ctx.out, secret);
}

const createFlags: FlagDef[] = [
  { name: 'id', kind: 'string', usage: 'Value of the new token (root or sudo only).' },
  { name: 'display-name', kind: 'string', usage: 'Non-secret name shown in logs and lookups.' },
  { name: 'ttl', kind: 'duration', usage: 'Initial TTL, e.g. 30m or 3600.' },
  { name: 'explicit-max-ttl', kind: 'duration', usage: 'Hard limit renewals cannot pass.' },
  { name: 'period', kind: 'duration', usage: 'Make a periodic token renewed for this period (sudo).' },
  {
    name: 'renewable',
    kind: 'bool',
    default: true,
    usage: 'Whether the token can be renewed (default true).',
  },
  { name: 'orphan', kind: 'bool', usage: 'Create the token without a parent (root or sudo).' },
  { name: 'no-default-policy', kind: 'bool', usage: 'Do not attach the "default" policy.' },
  { name: 'use-limit', kind: 'int', usage: 'Number of uses before the token is revoked (0: unlimited).' },
  { name: 'role', kind: 'string', usage: 'Create against auth/token/create/<role>.' },
  { name: 'type', kind: 'string', default: 'service', usage: 'Token type: service or batch.' },
  { name: 'metadata', kind: 'stringMap', usage: 'key=value metadata; repeatable.' },
  { name: 'policy', kind: 'stringSlice', usage: 'Policy to attach; repeatable.' },
  { name: 'entity-alias', kind: 'string', usage: 'Entity alias to tie the token to (with -role).' },
];

async function create(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  const f = ctx.flags;
  const type = f.string('type');
  const policies = f.list('policy');
  // Field for field what the Go client sends: durations as Go strings ("0s" when unset), omitempty rules kept.
  const request = {
    ...(f.string('id') ? { id: f.string('id') } : {}),
    ...(policies.length ? { policies } : {}),
    ...(f.map('metadata') ? { meta: f.map('metadata') } : {}),
    ttl: formatGoDuration(f.duration('ttl')),
    explicit_max_ttl: formatGoDuration(f.duration('explicit-max-ttl')),
    period: formatGoDuration(f.duration('period')),
    ...(f.bool('orphan') ? { no_parent: true } : {}),
    ...(f.bool('no-default-policy') ? { no_default_policy: true } : {}),
    display_name: f.string('display-name'),
    num_uses: f.int('use-limit'),
    // Batch tokens are never renewable.
    renewable: type === 'batch' ? false : f.bool('renewable'),
    type,
    entity_alias: f.string('entity-alias'),
  };
  try {
    return show(ctx, await ctx.client().tokens.create(request, f.string('role') || undefined));
  } catch (error) {
    return ctx.fail('Error creating token', error);
  }
}

async function lookup(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0, 1);
  if (bad !== undefined) return bad;
  const tokens = ctx.client().tokens;
  const accessor = ctx.flags.bool('accessor');
  if (accessor && args.length === 0)
    return ctx.usage('Not enough arguments with -accessor (expected 1, got 0)');
  try {
    const secret =
      args.length === 0
        ? await tokens.lookupSelf()
        : accessor
          ? await tokens.lookupAccessor(args[0].trim())
          : await tokens.lookup(args[0].trim());
    return show(ctx, secret);
  } catch (error) {
    return ctx.fail('Error looking up token', error);
  }
}

async function renew(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0, 1);
  if (bad !== undefined) return bad;
  const tokens = ctx.client().tokens;
  const increment = toSeconds(ctx.flags.duration('increment'));
  const accessor = ctx.flags.bool('accessor');
  if (accessor && args.length === 0)
    return ctx.usage('Not enough arguments with -accessor (expected 1, got 0)');
  try {
    const secret =
      args.length === 0
        ? await tokens.renewSelf(increment)
        : accessor
          ? await tokens.renewAccessor(args[0].trim(), increment)
          : await tokens.renew(args[0].trim(), increment);
    return show(ctx, secret);
  } catch (error) {
    return ctx.fail('Error renewing token', error);
  }
}

async function revoke(ctx: Context, args: string[]): Promise<number> {
  const self = ctx.flags.bool('self');
  const accessor = ctx.flags.bool('accessor');
  const mode = ctx.flags.string('mode');
  if (self && args.length > 0)
    return ctx.usage(`Too many arguments with -self (expected 0, got ${args.length})`);
  if (!self && args.length !== 1) {
    const word = args.length > 1 ? 'Too many' : 'Not enough';
    return ctx.usage(`${word} arguments (expected 1 or -self, got ${args.length})`);
  }
  if (!['', 'orphan', 'path'].includes(mode)) return ctx.usage(`Invalid mode: ${mode}`);
  if (self && mode) return ctx.usage('Cannot use -self with -mode');
  if (accessor && mode === 'orphan') return ctx.usage('Cannot use -accessor with -mode=orphan');
  if (accessor && mode === 'path') return ctx.usage('Cannot use -accessor with -mode=path');
  const client = ctx.client();
  const target = args[0]?.trim() ?? '';
  try {
    if (self) await client.tokens.revokeSelf();
    else if (accessor) await client.tokens.revokeAccessor(target);
    else if (mode === 'orphan') await client.tokens.revokeOrphan(target);
    else if (mode === 'path') await client.sys.leaseRevokePrefix(target, true);
    else await client.tokens.revokeTree(target);
  } catch (error) {
    return ctx.fail('Error revoking token', error);
  }
  ctx.ui.output('Success! Revoked token (if it existed)');
  return 0;
}

async function capabilities(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1, 2);
  if (bad !== undefined) return bad;
  const path = args.length === 2 ? args[1] : args[0];
  const subject = args.length === 2 ? args[0] : undefined;
  const accessor = ctx.flags.bool('accessor');
  if (accessor && !subject) return ctx.usage('Not enough arguments with -accessor (expected 2, got 1)');
  let caps: string[];
  try {
    caps = await ctx.client().sys.capabilities(path, accessor ? { accessor: subject } : { token: subject });
  } catch (error) {
    return ctx.fail('Error listing capabilities', error);
  }
  caps.sort();
  if (ctx.format === 'table') {
    ctx.ui.output(caps.join(', '));
    return 0;
  }
  return outputData(ctx.out, caps);
}

const accessorFlag: FlagDef = {
  name: 'accessor',
  kind: 'bool',
  usage: 'The argument is an accessor, not a token.',
};

export const tokenCommands: Command[] = [
  {
    name: 'token create',
    synopsis: 'Create a new token',
    help: `Usage: coffer token create [options]

  Creates a child of the current token (or an orphan with -orphan), with the policies given by
  -policy (repeatable) or the caller's own.`,
    output: ['field', 'format'],
    flags: createFlags,
    run: create,
  },
  {
    name: 'token lookup',
    synopsis: 'Display information about a token',
    help: `Usage: coffer token lookup [options] [TOKEN | ACCESSOR]

  Shows a token's properties: the current token when no argument is given.`,
    output: ['field', 'format'],
    flags: [accessorFlag],
    run: lookup,
  },
  {
    name: 'token renew',
    synopsis: 'Renew a token lease',
    help: `Usage: coffer token renew [options] [TOKEN | ACCESSOR]

  Extends a token's lease (the current token when no argument is given).`,
    output: ['field', 'format'],
    flags: [
      accessorFlag,
      { name: 'increment', aliases: ['i'], kind: 'duration', usage: 'Requested extension, e.g. 1h.' },
    ],
    run: renew,
  },
  {
    name: 'token revoke',
    synopsis: 'Revoke a token and its children',
    help: `Usage: coffer token revoke [options] [TOKEN | ACCESSOR]

  Revokes a token, its children and their leases. -mode=orphan keeps the children (as orphans);
  -mode=path revokes every token created under the given path prefix.`,
    flags: [
      accessorFlag,
      { name: 'self', kind: 'bool', usage: 'Revoke the current token.' },
      { name: 'mode', kind: 'string', usage: 'Empty, "orphan" or "path".' },
    ],
    run: revoke,
  },
  {
    name: 'token capabilities',
    synopsis: 'Print capabilities of a token on a path',
    help: `Usage: coffer token capabilities [options] [TOKEN | ACCESSOR] PATH

  Lists what a token (the current one when only PATH is given) may do on PATH.`,
    output: ['format'],
    flags: [accessorFlag],
    run: capabilities,
  },
];
