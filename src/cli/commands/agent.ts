/** `coffer agent -config=FILE`: Vault Agent's auto-auth, token sinks and API proxy. */
import { loadAgentConfig, validateAgentConfig } from '../../agent/config.js';
import { type AgentTask, runAgent } from '../../agent/run.js';
import { createLogger } from '../../framework/log.js';
import { parseLogLevel } from '../../server/config.js';
import { disableCoreDumps, refuseInspectorSignal } from '../../server/harden.js';
import { type FlagDef, FlagError, type ParsedFlags, parseFlags } from '../flags.js';

export interface AgentIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

const USAGE = `Usage: coffer agent [options]

  Starts an agent that logs in to the server (auto_auth), keeps its token renewed, writes it to
  sinks, proxies API requests from local clients, renders templates to files, and runs a child
  process with secrets in its environment (exec).

  -config=FILE          Path to the agent's configuration file (HCL or JSON). Required.
  -log-level=LEVEL      trace, debug, info, warn or error.
  -exit-after-auth      Exit with code 0 after the first successful authentication (and, with
                        templates, once every template has been rendered).
`;

const FLAGS: FlagDef[] = [
  { name: 'config', kind: 'string', usage: '' },
  { name: 'log-level', kind: 'string', usage: '' },
  { name: 'exit-after-auth', kind: 'bool', usage: '' },
];

export async function agentCommand(
  args: string[],
  io: AgentIo = process,
  extraTasks: AgentTask[] = [],
): Promise<number> {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(FLAGS, args);
    if (flags.args.length > 0)
      throw new FlagError(`Too many arguments (expected 0, got ${flags.args.length})`);
  } catch (error) {
    if (error instanceof FlagError && error.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const configFile = flags.string('config');
  if (configFile === '') {
    io.stderr.write(`a configuration file is required: -config=FILE\n\n${USAGE}`);
    return 1;
  }
  refuseInspectorSignal(() => io.stderr.write('SIGUSR1 received: the Node.js inspector stays closed\n'));
  const coreLimit = disableCoreDumps();
  let config: Awaited<ReturnType<typeof loadAgentConfig>>;
  try {
    config = await loadAgentConfig(configFile);
    if (flags.isSet('log-level')) config.logLevel = parseLogLevel(flags.string('log-level'));
    if (flags.bool('exit-after-auth')) config.exitAfterAuth = true;
    validateAgentConfig(config);
  } catch (error) {
    io.stderr.write(`Error loading configuration from ${configFile}: ${(error as Error).message}\n`);
    return 1;
  }
  const log = createLogger(config.logLevel, 'agent', (line) => {
    io.stderr.write(line);
    return true;
  });
  const warning = await coreLimit;
  if (warning) log.warn(warning);
  io.stdout.write('==> Coffer agent configuration:\n\n');
  let agent: Awaited<ReturnType<typeof runAgent>>;
  try {
    agent = await runAgent(config, {
      log,
      env: io.env,
      extraTasks,
      onListening: (address) => io.stdout.write(`    Api Address: ${address}\n`),
    });
  } catch (error) {
    io.stderr.write(`Error starting the agent: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write('\n==> Coffer agent started! Log data will stream in below:\n\n');
  const stop = (signal: string) => {
    io.stdout.write(`==> Coffer agent shutdown triggered (${signal})\n`);
    agent.stop();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Node's default for SIGHUP ends the process; Vault's agent reloads instead. Nothing is reloaded here yet.
  process.on('SIGHUP', () => log.warn('SIGHUP received: reloading the configuration is not supported'));
  return agent.done;
}
