/** The env_template and exec stanzas of exec mode. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseExecStanzas } from './config.js';

describe('parseExecStanzas', () => {
  test('no exec block: not exec mode', () => {
    assert.equal(parseExecStanzas({ template: [{ contents: 'x', destination: 'a' }] }), undefined);
  });

  test('defaults as in Vault: restart always, with SIGTERM', () => {
    const parsed = parseExecStanzas({
      env_template: {
        DB_PASSWORD: [{ contents: '{{ .x }}', error_on_missing_key: true }],
        OTHER: [{ contents: 'y' }],
      },
      exec: [{ command: ['/usr/bin/app', '--serve'] }],
    });
    assert.deepEqual(parsed?.exec, {
      command: ['/usr/bin/app', '--serve'],
      restartOnSecretChanges: 'always',
      restartStopSignal: 'SIGTERM',
    });
    assert.deepEqual(
      parsed?.envTemplates.map((t) => [t.name, t.errorOnMissingKey]),
      [
        ['DB_PASSWORD', true],
        ['OTHER', false],
      ],
    );
    assert.equal(parsed?.templateConfig.staticSecretRenderIntervalMs, 300_000);
  });

  test('restart_on_secret_changes = "never" and another stop signal', () => {
    const parsed = parseExecStanzas({
      env_template: { A: [{ contents: 'x' }] },
      exec: [
        { command: ['app', '--serve'], restart_on_secret_changes: 'never', restart_stop_signal: 'SIGINT' },
      ],
    });
    assert.deepEqual(parsed?.exec, {
      command: ['app', '--serve'],
      restartOnSecretChanges: 'never',
      restartStopSignal: 'SIGINT',
    });
  });

  const refused: { name: string; raw: Record<string, unknown>; error: RegExp }[] = [
    {
      name: 'exec without env_template',
      raw: { exec: [{ command: ['a'] }] },
      error: /exec: needs at least one env_template/,
    },
    {
      name: 'a command string (Vault takes a list only)',
      raw: { env_template: { A: [{ contents: 'x' }] }, exec: [{ command: 'app --serve' }] },
      error: /exec: command: expected a non-empty list of strings$/,
    },
    {
      name: 'exec with file templates',
      raw: {
        env_template: { A: [{ contents: 'x' }] },
        template: [{ contents: 'x', destination: 'f' }],
        exec: [{ command: ['a'] }],
      },
      error: /exec: cannot be combined with template blocks/,
    },
    {
      name: 'exec without command',
      raw: { env_template: { A: [{ contents: 'x' }] }, exec: [{}] },
      error: /exec: command: is required/,
    },
    {
      name: 'an unknown restart mode',
      raw: {
        env_template: { A: [{ contents: 'x' }] },
        exec: [{ command: ['a'], restart_on_secret_changes: 'sometimes' }],
      },
      error: /restart_on_secret_changes: expected "always" or "never"/,
    },
    {
      name: 'an unknown signal',
      raw: {
        env_template: { A: [{ contents: 'x' }] },
        exec: [{ command: ['a'], restart_stop_signal: 'SIGNOPE' }],
      },
      error: /restart_stop_signal: not a known signal/,
    },
    {
      name: 'a bad variable name',
      raw: { env_template: { 'A-B': [{ contents: 'x' }] }, exec: [{ command: ['a'] }] },
      error: /env_template "A-B": not a valid environment variable name/,
    },
    {
      name: 'an env_template with destination',
      raw: { env_template: { A: [{ contents: 'x', destination: 'f' }] }, exec: [{ command: ['a'] }] },
      error: /env_template "A": destination: unknown field/,
    },
  ];
  for (const c of refused) {
    test(`refuses ${c.name}`, () => assert.throws(() => parseExecStanzas(c.raw), c.error));
  }
});
