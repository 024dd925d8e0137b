/** `coffer agent`'s flags, read as Go's flag package reads them (src/cli/flags.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { agentCommand } from './agent.js';

function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: {},
    },
  };
}

test('-h prints the usage and exits 0; an unknown flag or an argument exits 1', async () => {
  const help = io();
  assert.equal(await agentCommand(['-h'], help.io), 0);
  assert.match(help.out.stdout, /^Usage: coffer agent/);
  const unknown = io();
  assert.equal(await agentCommand(['-bogus'], unknown.io), 1);
  assert.match(unknown.out.stderr, /flag provided but not defined: -bogus/);
  const missing = io();
  assert.equal(await agentCommand(['-log-level=debug'], missing.io), 1);
  assert.match(missing.out.stderr, /a configuration file is required/);
  const extra = io();
  assert.equal(await agentCommand(['-config=a.hcl', 'extra'], extra.io), 1);
  assert.match(extra.out.stderr, /Too many arguments/);
});

test('-exit-after-auth, bare or =true, sets exit_after_auth (which needs auto_auth)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-flags-'));
  try {
    const config = join(dir, 'agent.hcl');
    await writeFile(config, 'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n');
    for (const flag of ['-exit-after-auth', '-exit-after-auth=true']) {
      const run = io();
      assert.equal(await agentCommand(['-config', config, flag], run.io), 1, flag);
      assert.match(run.out.stderr, /exit_after_auth requires an auto_auth block/, flag);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
