/** What a CLI command is, the flags every command shares, and the context a command runs with. */
import { VaultClient, type VaultClientOptions } from '../client/client.js';
import { formatGoDuration, parseDurationSecond } from '../client/duration.js';
import { configFromEnv } from '../client/env.js';
import { readTokenFile, tokenFilePath } from '../client/token-helper.js';
import type { FlagDef, ParsedFlags } from './flags.js';
import type { Output } from './format/output.js';
import { type CliIo, readAll, type Ui } from './io.js';
import type { KvInput } from './kv-args.js';

export type OutputFlag = 'field' | 'format' | 'detailed';

export interface Command {
  /** Full name, e.g. `operator init`. */
  name: string;
  synopsis: string;
  /** Usage line and description, shown by `-h`. */
  help: string;
  flags?: FlagDef[];
  output?: OutputFlag[];
  run(ctx: Context, args: string[]): Promise<number>;
}

/** The client could not be built (bad CA file, malformed VAULT_* value): vault exits 2. */
export class SetupError extends Error {}

export const HTTP_FLAGS: FlagDef[] = [
  {
    name: 'address',
    kind: 'string',
    usage: 'Address of the server (VAULT_ADDR; default https://127.0.0.1:8200).',
  },
  {
    name: 'agent-address',
    kind: 'string',
    usage: 'Address of an agent to send requests to (VAULT_AGENT_ADDR).',
  },
  {
    name: 'ca-cert',
    kind: 'string',
    usage: 'PEM file of the CA that signed the server certificate (VAULT_CACERT).',
  },
  { name: 'ca-path', kind: 'string', usage: 'Directory of PEM CA files (VAULT_CAPATH).' },
  {
    name: 'client-cert',
    kind: 'string',
    usage: 'PEM client certificate for TLS authentication (VAULT_CLIENT_CERT).',
  },
  { name: 'client-key', kind: 'string', usage: 'PEM private key of -client-cert (VAULT_CLIENT_KEY).' },
  { name: 'namespace', kind: 'string', usage: 'Namespace sent as X-Vault-Namespace (VAULT_NAMESPACE).' },
  { name: 'ns', kind: 'string', usage: 'Alias of -namespace.', hidden: true },
  {
    name: 'tls-server-name',
    kind: 'string',
    usage: 'SNI name for the TLS connection (VAULT_TLS_SERVER_NAME).',
  },
  {
    name: 'tls-skip-verify',
    kind: 'bool',
    usage: 'Do not verify the server certificate (VAULT_SKIP_VERIFY).',
  },
  { name: 'disable-redirects', kind: 'bool', usage: 'Do not follow a standby redirect to the active node.' },
  {
    name: 'wrap-ttl',
    kind: 'duration',
    usage: 'Wrap the response in a single-use token with this TTL (VAULT_WRAP_TTL).',
  },
  {
    name: 'header',
    kind: 'stringMap',
    usage: 'Extra HTTP header as key=value; repeatable; X-Vault-* is refused.',
  },
  {
    name: 'output-curl-string',
    kind: 'bool',
    usage: 'Print the equivalent curl command instead of sending.',
  },
  { name: 'non-interactive', kind: 'bool', usage: 'Never prompt on the terminal.' },
  {
    name: 'policy-override',
    kind: 'bool',
    usage: 'Accepted for compatibility; has no effect.',
    hidden: true,
  },
];

export const OUTPUT_FLAGS: Record<OutputFlag, FlagDef> = {
  field: { name: 'field', kind: 'string', usage: 'Print only this field, raw (no newline when piped).' },
  format: { name: 'format', kind: 'string', usage: 'Output format: table, json or yaml (VAULT_FORMAT).' },
  detailed: { name: 'detailed', kind: 'bool', usage: 'Print more information.' },
};

export class Context {
  readonly out: Output;
  private clientCache: VaultClient | undefined;
  private stdinUsed = false;

  constructor(
    readonly io: CliIo,
    readonly ui: Ui,
    readonly flags: ParsedFlags,
  ) {
    const envFormat = io.env.COFFER_FORMAT || io.env.VAULT_FORMAT;
    const format = (flags.isSet('format') ? flags.string('format') : envFormat || 'table').toLowerCase();
    this.out = { ui, format, detailed: flags.bool('detailed') };
  }

  get format(): string {
    return this.out.format;
  }

  get field(): string {
    return this.flags.string('field');
  }

  get tokenPath(): string {
    return tokenFilePath(this.io.env);
  }

  /** Client options: environment first, flags over it (vault's order). */
  private options(): VaultClientOptions {
    let settings: VaultClientOptions;
    try {
      const { format: _format, ...rest } = configFromEnv(this.io.env);
      settings = rest;
    } catch (error) {
      throw new SetupError(`failed to read environment: ${(error as Error).message}`);
    }
    const f = this.flags;
    const text = (name: string) => (f.isSet(name) ? f.string(name) : undefined);
    settings.address = text('agent-address') || text('address') || settings.address;
    settings.caCert = text('ca-cert') ?? settings.caCert;
    settings.caPath = text('ca-path') ?? settings.caPath;
    settings.clientCert = text('client-cert') ?? settings.clientCert;
    settings.clientKey = text('client-key') ?? settings.clientKey;
    settings.tlsServerName = text('tls-server-name') ?? settings.tlsServerName;
    if (f.isSet('tls-skip-verify')) settings.tlsSkipVerify = f.bool('tls-skip-verify');
    settings.namespace = text('ns') ?? text('namespace') ?? settings.namespace;
    settings.wrapTtl = this.wrapTtl(settings.wrapTtl);
    settings.maxRetries ??= 0; // the CLI does not retry unless VAULT_MAX_RETRIES asks it to
    settings.outputCurlString = f.bool('output-curl-string');
    settings.disableRedirects = f.bool('disable-redirects');
    const headers = f.map('header') ?? {};
    const forbidden = Object.keys(headers).filter((h) => h.toLowerCase().startsWith('x-vault-'));
    if (forbidden.length > 0) {
      throw new SetupError(
        `failed to setup Headers[${forbidden.join(', ')}]: Header starting by 'X-Vault-' are for internal usage only`,
      );
    }
    settings.headers = headers;
    return settings;
  }

  /** The TTL as the Go CLI sends it: parsed as a duration, re-printed as Go's `5m0s`. */
  private wrapTtl(fromEnv: string | undefined): string | undefined {
    let ns = this.flags.duration('wrap-ttl');
    if (!this.flags.isSet('wrap-ttl') && fromEnv) {
      try {
        ns = parseDurationSecond(fromEnv);
      } catch {
        ns = 0n; // vault ignores a malformed VAULT_WRAP_TTL
      }
    }
    return ns === 0n ? undefined : formatGoDuration(ns);
  }

  /** The client without a token (`login`), built once. */
  clientWithoutToken(): VaultClient {
    this.clientCache ??= new VaultClient(this.options());
    return this.clientCache;
  }

  /** The client with the token from VAULT_TOKEN or the token helper file. */
  client(): VaultClient {
    const client = this.clientWithoutToken();
    if (!client.token) {
      try {
        client.token = readTokenFile(this.tokenPath);
      } catch (error) {
        throw new SetupError(`failed to get token from token helper: ${(error as Error).message}`);
      }
    }
    return client;
  }

  get lastCurlString(): string | undefined {
    return this.clientCache?.lastCurlString;
  }

  close(): void {
    this.clientCache?.close();
  }

  /** All of stdin, at most once per command (`-`, `k=-`). */
  readonly kvInput: KvInput = {
    readStdin: async () => {
      if (this.stdinUsed) throw new Error('stdin already consumed');
      this.stdinUsed = true;
      if (this.flags.bool('non-interactive')) return '';
      return readAll(this.io.stdin);
    },
  };

  /** An API or transport failure: `<prefix>: <error>` on stderr, exit 2. */
  fail(prefix: string, error: unknown): number {
    this.ui.error(`${prefix}: ${(error as Error).message ?? String(error)}`);
    return 2;
  }

  /** A write that answered nothing: vault's success line (machine formats print nothing), exit 0. */
  written(path: string): number {
    if (this.format === 'table') this.ui.output(`Success! Data written to: ${path}`);
    return 0;
  }

  /** A usage problem: one line on stderr, exit 1. */
  usage(message: string): number {
    this.ui.error(message);
    return 1;
  }
}

/** Vault's argument-count messages. */
export function checkArgs(ctx: Context, args: string[], min: number, max: number = min): number | undefined {
  const expected = min === max ? String(min) : `${min}-${max}`;
  if (args.length < min) return ctx.usage(`Not enough arguments (expected ${expected}, got ${args.length})`);
  if (args.length > max) return ctx.usage(`Too many arguments (expected ${expected}, got ${args.length})`);
  return undefined;
}

/** Strips leading and trailing slashes and whitespace (vault's sanitizePath). */
export function sanitizePath(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

export function ensureTrailingSlash(path: string): string {
  const text = path.trim();
  return text === '' || text.endsWith('/') ? text : `${text}/`;
}
