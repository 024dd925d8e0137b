/** `audit enable|disable|list`: audit devices under `sys/audit`. */

import { isRecord } from '../../client/secret.js';
import type { MountTable } from '../../client/sys.js';
import { type Command, type Context, checkArgs, ensureTrailingSlash, sanitizePath } from '../command.js';
import { outputData } from '../format/output.js';
import { table } from '../format/table.js';
import { parseArgsData, toStrings } from '../kv-args.js';

async function enable(ctx: Context, args: string[]): Promise<number> {
  if (args.length < 1) return ctx.usage(`Not enough arguments (expected 1, got ${args.length})`);
  const type = args[0].trim();
  let options: Record<string, string>;
  try {
    options = toStrings(await parseArgsData(args.slice(1), ctx.kvInput));
  } catch (error) {
    return ctx.usage(`Failed to parse K=V data: ${(error as Error).message}`);
  }
  const path = ensureTrailingSlash(ctx.flags.string('path') || type);
  try {
    await ctx.client().sys.enableAudit(path, {
      type,
      description: ctx.flags.string('description'),
      options,
      local: ctx.flags.bool('local'),
    });
  } catch (error) {
    return ctx.fail('Error enabling audit device', error);
  }
  ctx.ui.output(`Success! Enabled the ${type} audit device at: ${path}`);
  return 0;
}

async function disable(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 1);
  if (bad !== undefined) return bad;
  const path = ensureTrailingSlash(sanitizePath(args[0]));
  try {
    await ctx.client().sys.disableAudit(path);
  } catch (error) {
    return ctx.fail('Error disabling audit device', error);
  }
  ctx.ui.output(`Success! Disabled audit device (if it was enabled) at: ${path}`);
  return 0;
}

function rows(audits: MountTable, detailed: boolean): [string[], string[][]] {
  const paths = Object.keys(audits).sort();
  if (!detailed) {
    return [
      ['Path', 'Type', 'Description'],
      paths.map((p) => [
        String(audits[p].path ?? p),
        String(audits[p].type ?? ''),
        String(audits[p].description ?? ''),
      ]),
    ];
  }
  return [
    ['Path', 'Type', 'Description', 'Replication', 'Options'],
    paths.map((p) => {
      const a = audits[p];
      const options = isRecord(a.options) ? a.options : {};
      return [
        p,
        String(a.type ?? ''),
        String(a.description ?? ''),
        a.local === true ? 'local' : 'replicated',
        Object.keys(options)
          .sort()
          .map((k) => `${k}=${options[k]}`)
          .join(' '),
      ];
    }),
  ];
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  let audits: MountTable;
  try {
    audits = await ctx.client().sys.listAudit();
  } catch (error) {
    return ctx.fail('Error listing audits', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, audits);
  if (Object.keys(audits).length === 0) {
    ctx.ui.output('No audit devices are enabled.');
    return 2;
  }
  ctx.ui.output(table(...rows(audits, ctx.out.detailed)));
  return 0;
}

export const auditCommands: Command[] = [
  {
    name: 'audit enable',
    synopsis: 'Enable an audit device',
    help: `Usage: coffer audit enable [options] TYPE [K=V...]

  Enables an audit device of TYPE (file, socket, syslog) at -path (default: TYPE); K=V pairs are
  its options, e.g. file_path=/var/log/coffer-audit.log.`,
    flags: [
      { name: 'description', kind: 'string', usage: 'Human-friendly description.' },
      { name: 'path', kind: 'string', usage: 'Where to enable the device (default: TYPE).' },
      { name: 'local', kind: 'bool', usage: 'Local to this cluster: not replicated.' },
    ],
    run: enable,
  },
  {
    name: 'audit disable',
    synopsis: 'Disable an audit device',
    help: 'Usage: coffer audit disable [options] PATH\n\n  Disables the audit device at PATH.',
    run: disable,
  },
  {
    name: 'audit list',
    synopsis: 'List enabled audit devices',
    help: 'Usage: coffer audit list [options]\n\n  Lists the enabled audit devices.',
    output: ['format', 'detailed'],
    run: list,
  },
];
