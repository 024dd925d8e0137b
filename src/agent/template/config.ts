/**
 * The `template` and `template_config` stanzas of the agent config, read from the object the HCL parser
 * returns for the whole file (Vault Agent's names and defaults, except `perms`: see below).
 */
import { AgentConfigError, type Attributes, blockList, FieldReader, singleBlock } from './stanza.js';

export interface TemplateWait {
  minMs: number;
  maxMs: number;
}

export interface TemplateStanza {
  /** `template[i]`, for messages. */
  name: string;
  source?: string;
  contents?: string;
  destination: string;
  /** Unset: keep the mode of the file already there, as Vault does; a new file gets DEFAULT_PERMS. */
  perms?: number;
  createDestDirs: boolean;
  /** argv; a string command is `['/bin/sh', '-c', command]`, as Vault runs it. */
  command?: string[];
  commandTimeoutMs: number;
  errorOnMissingKey: boolean;
  leftDelimiter?: string;
  rightDelimiter?: string;
  backup: boolean;
  wait?: TemplateWait;
}

export interface TemplateEngineConfig {
  staticSecretRenderIntervalMs: number;
  exitOnRetryFailure: boolean;
  maxConnectionsPerHost: number;
  /** Fraction of a non-renewable lease after which its secret is fetched again. */
  leaseRenewalThreshold: number;
}

export interface TemplateStanzas {
  templates: TemplateStanza[];
  templateConfig: TemplateEngineConfig;
}

/**
 * The mode of a new file when `perms` is unset. Vault's is 0644; Coffer's is 0600, since a rendered
 * template almost always holds a secret (SECURITY.md K4).
 */
export const DEFAULT_PERMS = 0o600;
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export const DEFAULT_TEMPLATE_CONFIG: TemplateEngineConfig = {
  staticSecretRenderIntervalMs: 5 * 60_000,
  exitOnRetryFailure: false,
  maxConnectionsPerHost: 10,
  leaseRenewalThreshold: 0.9,
};

/**
 * `perms = "0640"`, or `perms = 0640`, which HCL reads as the number 640: the digits are octal either
 * way. In a JSON config a number is the mode itself, as Vault decodes it (`"perms": 416` is 0640).
 */
function parsePerms(fields: FieldReader, syntax: 'hcl' | 'json'): number | undefined {
  const value = fields.scalar('perms');
  if (value === undefined) return undefined;
  if (syntax === 'json' && typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0o7777)
      fields.fail('perms', 'expected a file mode from 0 to 4095 (0o7777)');
    return value;
  }
  const text = String(value);
  if (!/^0?[0-7]{1,4}$/.test(text)) fields.fail('perms', 'expected an octal mode such as "0600"');
  return Number.parseInt(text, 8);
}

function parseWait(fields: FieldReader): TemplateWait | undefined {
  const text = typeof fields.peek('wait') === 'string' ? fields.string('wait', 64) : undefined;
  // consul-template's short form: `wait = "5s:30s"` (min:max) or `wait = "5s"`.
  const body =
    text === undefined
      ? fields.block('wait')
      : Object.fromEntries(
          text.split(':').map((part, i) => [i === 0 ? 'min' : i === 1 ? 'max' : `part${i}`, part]),
        );
  if (!body) return undefined;
  const wait = new FieldReader(body, `${fields.where}.wait`);
  const minMs = wait.durationMs('min', 0);
  // Vault: a max left out is four times the min.
  const maxMs = wait.durationMs('max', minMs * 4);
  wait.done();
  if (maxMs < minMs) wait.fail('max', 'must not be less than min');
  return { minMs, maxMs };
}

function parseCommand(fields: FieldReader): { command?: string[]; timeoutMs: number } {
  let command = fields.command('command');
  let timeoutMs = fields.durationMs('command_timeout', DEFAULT_COMMAND_TIMEOUT_MS);
  // Newer Vault spells it `exec { command = [...] timeout = "30s" }` inside the template.
  const exec = fields.block('exec');
  if (exec) {
    if (command) fields.fail('exec', 'set either command or exec, not both');
    const execFields = new FieldReader(exec, `${fields.where}.exec`);
    command = execFields.command('command');
    timeoutMs = execFields.durationMs('timeout', timeoutMs);
    execFields.done();
  }
  return { command, timeoutMs };
}

function parseTemplate(body: Attributes, index: number, syntax: 'hcl' | 'json'): TemplateStanza {
  const name = `template[${index}]`;
  const fields = new FieldReader(body, name);
  const source = fields.string('source');
  const contents = fields.string('contents', 1024 * 1024);
  if (source && contents !== undefined) fields.fail('contents', 'set either source or contents, not both');
  if (!source && contents === undefined) fields.fail('source', 'one of source or contents is required');
  const destination = fields.string('destination') || fields.fail('destination', 'is required');
  const { command, timeoutMs } = parseCommand(fields);
  const stanza: TemplateStanza = {
    name,
    source,
    contents,
    destination,
    perms: parsePerms(fields, syntax),
    createDestDirs: fields.bool('create_dest_dirs', true),
    command,
    commandTimeoutMs: timeoutMs,
    errorOnMissingKey: fields.bool('error_on_missing_key', false),
    leftDelimiter: fields.string('left_delimiter', 64) || undefined,
    rightDelimiter: fields.string('right_delimiter', 64) || undefined,
    backup: fields.bool('backup', false),
    wait: parseWait(fields),
  };
  fields.done();
  return stanza;
}

export function parseTemplateConfig(raw: Attributes): TemplateEngineConfig {
  const body = singleBlock(raw, 'template_config');
  if (!body) return { ...DEFAULT_TEMPLATE_CONFIG };
  const fields = new FieldReader(body, 'template_config');
  const config: TemplateEngineConfig = {
    staticSecretRenderIntervalMs: fields.durationMs(
      'static_secret_render_interval',
      DEFAULT_TEMPLATE_CONFIG.staticSecretRenderIntervalMs,
    ),
    exitOnRetryFailure: fields.bool('exit_on_retry_failure', false),
    maxConnectionsPerHost: fields.number(
      'max_connections_per_host',
      DEFAULT_TEMPLATE_CONFIG.maxConnectionsPerHost,
      (n) => Number.isInteger(n) && n > 0,
      'expected a positive integer',
    ),
    leaseRenewalThreshold: fields.number(
      'lease_renewal_threshold',
      DEFAULT_TEMPLATE_CONFIG.leaseRenewalThreshold,
      (n) => n > 0 && n < 1,
      'expected a fraction between 0 and 1',
    ),
  };
  fields.done();
  if (config.staticSecretRenderIntervalMs <= 0) {
    fields.fail('static_secret_render_interval', 'must be positive');
  }
  return config;
}

/** The `template` blocks and `template_config` of an agent config, typed and checked. */
export function parseTemplateStanzas(raw: Attributes, syntax: 'hcl' | 'json' = 'hcl'): TemplateStanzas {
  if (typeof raw !== 'object' || raw === null) throw new AgentConfigError('agent config: expected an object');
  const templates = blockList(raw, 'template').map((body, i) => parseTemplate(body, i, syntax));
  const destinations = new Set<string>();
  for (const t of templates) {
    if (destinations.has(t.destination)) {
      throw new AgentConfigError(`${t.name}: destination: another template renders to the same file`);
    }
    destinations.add(t.destination);
  }
  return { templates, templateConfig: parseTemplateConfig(raw) };
}
