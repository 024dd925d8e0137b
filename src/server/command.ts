/** `coffer server`: start from config files, or `-dev` for an in-memory, unsealed server. */
import { parseArgs } from 'node:util';
import { storeTokenFile, tokenFilePath } from '../client/token-helper.js';
import { CofferError } from '../core/errors.js';
import { createLogger, type Logger } from '../framework/log.js';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_REQUEST_DURATION_MS,
  loadConfigFile,
  parseLogLevel,
  type ServerConfig,
} from './config.js';
import { disableCoreDumps, refuseInspectorSignal } from './harden.js';
import { capHeapGrowth } from './heap.js';
import { type RunningServer, startServer } from './server.js';

export interface ServerIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const USAGE = `Usage: coffer server [options]

  -config=FILE              Path to a configuration file (HCL or JSON).
  -dev                      Start an in-memory, initialised and unsealed server.
  -dev-root-token-id=ID     Root token for dev mode.
  -dev-listen-address=ADDR  Address for dev mode (default 127.0.0.1:8200).
  -log-level=LEVEL          trace, debug, info, warn or error.
`;

/** Go-style single-dash flags (`-dev`, `-config=x`) become the double-dash form parseArgs reads. */
function normalizeFlags(args: string[]): string[] {
  return args.map((a) => (/^-[a-z]/.test(a) ? `-${a}` : a));
}

function devConfig(address: string, logLevel: string): ServerConfig {
  return {
    storage: { type: 'inmem', options: {} },
    listeners: [
      {
        address,
        tlsDisable: true,
        maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
        maxRequestDurationMs: DEFAULT_MAX_REQUEST_DURATION_MS,
      },
    ],
    ui: true,
    defaultLeaseTtl: 768 * 3600,
    maxLeaseTtl: 768 * 3600,
    logLevel: logLevel as ServerConfig['logLevel'],
  };
}

export async function serverCommand(args: string[], io: ServerIo = process): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: normalizeFlags(args),
      options: {
        config: { type: 'string' },
        dev: { type: 'boolean' },
        'dev-root-token-id': { type: 'string' },
        'dev-listen-address': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  // First, before storage opens or a key exists: SIGUSR1 opens no inspector from here on, and the
  // core limit (set while the config is read) is awaited before the server starts.
  let log: Logger | undefined;
  refuseInspectorSignal(() =>
    (log ?? createLogger()).warn('SIGUSR1 received: the Node.js inspector stays closed'),
  );
  const coreLimit = disableCoreDumps();
  capHeapGrowth();
  let server: RunningServer;
  try {
    server = values.dev
      ? await startDev(values, io, coreLimit)
      : await startFromConfig(values, io, coreLimit);
  } catch (error) {
    io.stderr.write(
      `Error starting server: ${error instanceof CofferError ? error.message : (error as Error).message}\n`,
    );
    return 1;
  }
  log = server.log;
  const warning = await coreLimit;
  if (warning) server.log.warn(warning);
  return waitForShutdown(server, io);
}

async function startFromConfig(
  values: Record<string, string | boolean | undefined>,
  io: ServerIo,
  coreLimit: Promise<unknown>,
) {
  if (typeof values.config !== 'string')
    throw new Error('a configuration file is required: -config=FILE (or -dev)');
  const config = await loadConfigFile(values.config, process.env);
  // Read once, then gone: helpers this process starts must not inherit the seal's token (K3).
  delete process.env.VAULT_TRANSIT_SEAL_TOKEN;
  if (config.seal) delete process.env.VAULT_TOKEN;
  if (typeof values['log-level'] === 'string') config.logLevel = parseLogLevel(values['log-level']);
  await coreLimit;
  const server = await startServer(config);
  io.stdout.write(`==> Coffer server configuration:\n\n    Storage: ${config.storage.type}\n`);
  if (config.seal) io.stdout.write('    Seal Type: transit\n');
  for (const address of server.addresses) io.stdout.write(`    Listener: ${address}\n`);
  io.stdout.write('\n==> Coffer server started! Log data will stream in below:\n\n');
  return server;
}

async function startDev(
  values: Record<string, string | boolean | undefined>,
  io: ServerIo,
  coreLimit: Promise<unknown>,
) {
  const address =
    typeof values['dev-listen-address'] === 'string' ? values['dev-listen-address'] : '127.0.0.1:8200';
  const config = devConfig(address, parseLogLevel(values['log-level'] ?? 'info'));
  await coreLimit;
  const server = await startServer(config, { dev: true });
  const rootTokenId =
    typeof values['dev-root-token-id'] === 'string' ? values['dev-root-token-id'] : undefined;
  const { key, rootToken } = await server.core.initializeDev(rootTokenId);
  const addr = server.addresses[0];
  await storeDevToken(rootToken, server);
  io.stdout.write(
    [
      '==> Coffer server configuration:',
      '',
      '    Storage: inmem',
      `    Listener: ${addr}`,
      '',
      'WARNING! dev mode is enabled! In this mode, Coffer runs entirely in-memory and starts unsealed',
      'with a single unseal key. The root token is already authenticated to the CLI.',
      '',
      'You may need to set the following environment variables:',
      '',
      `    $ export VAULT_ADDR='${addr}'`,
      '',
      'The unseal key and root token are displayed below in case you want to seal/unseal the server',
      'or re-authenticate.',
      '',
      `Unseal Key: ${Buffer.from(key).toString('base64')}`,
      `Root Token: ${rootToken}`,
      '',
      'Development mode should NOT be used in production installations!',
      '',
      '==> Coffer server started! Log data will stream in below:',
      '',
      '',
    ].join('\n'),
  );
  return server;
}

/** As `vault server -dev` does: the CLI on this machine is logged in as root straight away. */
async function storeDevToken(rootToken: string, server: RunningServer): Promise<void> {
  try {
    await storeTokenFile(tokenFilePath(), rootToken);
  } catch {
    server.log.warn('could not write the root token to the token helper file; use VAULT_TOKEN');
  }
}

function waitForShutdown(server: RunningServer, io: ServerIo): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      io.stdout.write(`==> Coffer shutdown triggered (${signal})\n`);
      server
        .stop()
        .then(() => resolve(0))
        .catch(() => resolve(1));
    };
    process.on('SIGHUP', () => {
      server.reopenAudit().catch(() => server.log.warn('reopening audit devices failed'));
    });
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
