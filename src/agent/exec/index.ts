/** Exec (process-supervisor) mode, as the `coffer agent` command uses it. */
export { type EnvTemplateStanza, type ExecStanza, type ExecStanzas, parseExecStanzas } from './config.js';
export { type ExecTaskOptions, runExec } from './supervisor.js';
