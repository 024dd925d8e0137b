/** The agent's template task, as the `coffer agent` command uses it: parse the stanzas, then run them. */
export {
  DEFAULT_PERMS,
  DEFAULT_TEMPLATE_CONFIG,
  parseTemplateConfig,
  parseTemplateStanzas,
  type TemplateEngineConfig,
  type TemplateStanza,
  type TemplateStanzas,
} from './config.js';
export { compileTemplate, renderTemplate } from './render.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { runTemplates, type TemplateTaskOptions } from './runner.js';
export { AgentConfigError } from './stanza.js';
