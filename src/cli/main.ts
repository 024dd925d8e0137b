/** `coffer` entry point: finds the command in the table and runs it; answers the exit code, never exits. */
import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { auditCommands } from './commands/audit.js';
import { authCommands } from './commands/auth.js';
import { kvCommands } from './commands/kv.js';
import { kvEnableVersioningCommands } from './commands/kv-enable-versioning.js';
import { kvMetadataCommands } from './commands/kv-metadata.js';
import { kvPatchCommands } from './commands/kv-patch.js';
import { kvRollbackCommands } from './commands/kv-rollback.js';
import { kvVersionCommands } from './commands/kv-versions.js';
import { leaseCommands } from './commands/lease.js';
import { logicalCommands } from './commands/logical.js';
import { loginCommands } from './commands/login.js';
import { operatorCommands } from './commands/operator.js';
import { policyCommands } from './commands/policy.js';
import { secretsCommands } from './commands/secrets.js';
import { statusCommands } from './commands/status.js';
import { tokenCommands } from './commands/token.js';
import { unwrapCommands } from './commands/unwrap.js';
import type { CliIo } from './io.js';
import { commandHelp, runCommand } from './runner.js';

export type { CliIo } from './io.js';

export const COMMANDS: Command[] = [
  ...statusCommands,
  ...operatorCommands,
  ...logicalCommands,
  ...kvCommands,
  ...kvPatchCommands,
  ...kvVersionCommands,
  ...kvRollbackCommands,
  ...kvMetadataCommands,
  ...kvEnableVersioningCommands,
  ...loginCommands,
  ...tokenCommands,
  ...policyCommands,
  ...secretsCommands,
  ...authCommands,
  ...unwrapCommands,
  ...leaseCommands,
  ...auditCommands,
];

/** Commands that are not in the table: they run outside the HTTP client. */
const SPECIAL = {
  agent: 'Start a Coffer agent',
  scan: 'Scan files and git history for hard-coded secrets',
  server: 'Start a Coffer server',
  version: 'Print the Coffer version',
};

const GROUPS: Record<string, string> = {
  audit: 'Interact with audit devices',
  auth: 'Interact with auth methods',
  kv: 'Interact with the KV secrets engine',
  lease: 'Interact with leases',
  operator: 'Perform operator-specific tasks',
  policy: 'Interact with policies',
  secrets: 'Interact with secrets engines',
  token: 'Interact with tokens',
};

/** Exit code of a parent command run without a subcommand, and of an unknown command (mitchellh/cli). */
const EXIT_HELP = 1;
const EXIT_UNKNOWN = 127;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return `Coffer v${pkg.version}`;
  } catch {
    return 'Coffer (unknown version)';
  }
}

function topHelp(): string {
  const groups = new Map<string, string>();
  for (const c of COMMANDS) {
    const [head, sub] = c.name.split(' ');
    if (!groups.has(head)) groups.set(head, sub ? (GROUPS[head] ?? head) : c.synopsis);
  }
  for (const [name, synopsis] of Object.entries(SPECIAL)) groups.set(name, synopsis);
  const width = Math.max(...[...groups.keys()].map((k) => k.length));
  const lines = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, s]) => `    ${n.padEnd(width)}    ${s}`);
  return `Usage: coffer <command> [args]\n\nCommands:\n${lines.join('\n')}\n`;
}

function groupHelp(group: string): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...subs.map((c) => c.name.length - group.length - 1));
  const lines = subs.map((c) => `    ${c.name.slice(group.length + 1).padEnd(width)}    ${c.synopsis}`);
  return `Usage: coffer ${group} <subcommand> [options] [args]\n\nSubcommands:\n${lines.join('\n')}\n`;
}

/** The longest command name the arguments start with (`kv metadata get`), else the longest group. */
function findCommand(argv: string[]): { command?: Command; args: string[]; group?: string } {
  for (let words = Math.min(3, argv.length); words > 0; words--) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, args: argv.slice(words) };
  }
  for (let words = Math.min(2, argv.length); words > 0; words--) {
    const name = argv.slice(0, words).join(' ');
    if (COMMANDS.some((c) => c.name.startsWith(`${name} `))) return { args: argv.slice(words), group: name };
  }
  return { args: argv };
}

/** mitchellh/cli treats -h, -help or --help anywhere before `--` as a request for help. */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '-help' || a === '--help');
}

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(topHelp());
    return EXIT_UNKNOWN;
  }
  if (['-v', '-version', '--version', 'version'].includes(first)) {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (['-h', '-help', '--help', 'help'].includes(first) && rest.length === 0) {
    io.stdout.write(topHelp());
    return 0;
  }
  if (first === 'help') return main([...rest, '-h'], io);
  if (first === 'scan') {
    const { scanCommand } = await import('./commands/scan.js');
    return scanCommand(rest, io);
  }
  if (first === 'server') {
    const { serverCommand } = await import('../server/command.js');
    return serverCommand(rest, io);
  }
  if (first === 'agent') {
    const { agentCommand } = await import('./commands/agent.js');
    return agentCommand(rest, io);
  }
  const { command, args, group } = findCommand(argv);
  if (!command) {
    if (group) {
      const help = groupHelp(group);
      if (wantsHelp(argv)) {
        io.stdout.write(help);
        return 0;
      }
      io.stderr.write(help);
      return EXIT_HELP;
    }
    io.stderr.write(topHelp());
    return EXIT_UNKNOWN;
  }
  if (wantsHelp(args)) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  return runCommand(command, args, io);
}
