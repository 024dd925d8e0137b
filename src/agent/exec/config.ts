/** The process-supervisor stanzas of the agent config: `env_template "NAME" { … }` and `exec { … }`. */
import { constants } from 'node:os';
import { parseTemplateConfig, type TemplateEngineConfig } from '../template/config.js';
import {
  AgentConfigError,
  type Attributes,
  FieldReader,
  labelledBlocks,
  singleBlock,
} from '../template/stanza.js';

export interface EnvTemplateStanza {
  /** The environment variable the rendered text is given to the child as. */
  name: string;
  source?: string;
  contents?: string;
  errorOnMissingKey: boolean;
  leftDelimiter?: string;
  rightDelimiter?: string;
}

export interface ExecStanza {
  command: string[];
  restartOnSecretChanges: 'always' | 'never';
  restartStopSignal: NodeJS.Signals;
}

export interface ExecStanzas {
  envTemplates: EnvTemplateStanza[];
  exec: ExecStanza;
  templateConfig: TemplateEngineConfig;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseEnvTemplate(name: string, body: Attributes): EnvTemplateStanza {
  const where = `env_template "${name}"`;
  if (!ENV_NAME.test(name)) throw new AgentConfigError(`${where}: not a valid environment variable name`);
  const fields = new FieldReader(body, where);
  const source = fields.string('source');
  const contents = fields.string('contents', 1024 * 1024);
  if (source && contents !== undefined) fields.fail('contents', 'set either source or contents, not both');
  if (!source && contents === undefined) fields.fail('contents', 'one of contents or source is required');
  const stanza: EnvTemplateStanza = {
    name,
    source,
    contents,
    errorOnMissingKey: fields.bool('error_on_missing_key', false),
    leftDelimiter: fields.string('left_delimiter', 64) || undefined,
    rightDelimiter: fields.string('right_delimiter', 64) || undefined,
  };
  fields.done();
  return stanza;
}

function parseExec(body: Attributes): ExecStanza {
  const fields = new FieldReader(body, 'exec');
  // Vault takes only the list form here (no shell).
  const command = fields.command('command', false);
  if (!command) return fields.fail('command', 'is required');
  const restart = fields.string('restart_on_secret_changes', 16) ?? 'always';
  if (restart !== 'always' && restart !== 'never') {
    fields.fail('restart_on_secret_changes', 'expected "always" or "never"');
  }
  const signal = fields.string('restart_stop_signal', 16) ?? 'SIGTERM';
  if (!(signal in constants.signals)) fields.fail('restart_stop_signal', 'not a known signal name');
  fields.done();
  return {
    command,
    restartOnSecretChanges: restart as 'always' | 'never',
    restartStopSignal: signal as NodeJS.Signals,
  };
}

/** The exec-mode stanzas, or undefined when the config has no `exec` block. */
export function parseExecStanzas(raw: Attributes): ExecStanzas | undefined {
  const body = singleBlock(raw, 'exec');
  if (!body) return undefined;
  const envTemplates = labelledBlocks(raw, 'env_template').map(([name, b]) => parseEnvTemplate(name, b));
  if (envTemplates.length === 0) throw new AgentConfigError('exec: needs at least one env_template block');
  // As in Vault, process-supervisor mode does not render files.
  if (raw.template !== undefined) throw new AgentConfigError('exec: cannot be combined with template blocks');
  return { envTemplates, exec: parseExec(body), templateConfig: parseTemplateConfig(raw) };
}
