/** The template and template_config stanzas, as the HCL parser hands them over. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTemplateStanzas } from './config.js';

describe('parseTemplateStanzas', () => {
  test("defaults: Vault's, except perms 0600", () => {
    const parsed = parseTemplateStanzas({ template: [{ contents: 'x', destination: '/tmp/a' }] });
    assert.deepEqual(parsed.templateConfig, {
      staticSecretRenderIntervalMs: 300_000,
      exitOnRetryFailure: false,
      maxConnectionsPerHost: 10,
      leaseRenewalThreshold: 0.9,
    });
    const [t] = parsed.templates;
    assert.equal(t.perms, undefined, "unset: the existing file's mode, else 0600 (file-output.ts)");
    assert.equal(t.createDestDirs, true);
    assert.equal(t.commandTimeoutMs, 30_000);
    assert.equal(t.errorOnMissingKey, false);
    assert.equal(t.backup, false);
    assert.equal(t.command, undefined);
  });

  test('every field, as hcl2json returns them', () => {
    const parsed = parseTemplateStanzas({
      template_config: [
        {
          static_secret_render_interval: '10s',
          exit_on_retry_failure: true,
          max_connections_per_host: 4,
          lease_renewal_threshold: 0.75,
        },
      ],
      template: [
        {
          source: '/etc/app.ctmpl',
          destination: '/run/app.env',
          perms: 640,
          create_dest_dirs: false,
          command: 'systemctl reload app',
          command_timeout: '5s',
          error_on_missing_key: true,
          left_delimiter: '[[',
          right_delimiter: ']]',
          backup: true,
          wait: [{ min: '2s' }],
        },
        { contents: 'y', destination: '/run/b', perms: '0644', command: ['/bin/true', 'x'] },
      ],
    });
    assert.deepEqual(parsed.templateConfig, {
      staticSecretRenderIntervalMs: 10_000,
      exitOnRetryFailure: true,
      maxConnectionsPerHost: 4,
      leaseRenewalThreshold: 0.75,
    });
    const [a, b] = parsed.templates;
    assert.equal(a.perms, 0o640);
    assert.deepEqual(a.command, ['/bin/sh', '-c', 'systemctl reload app']);
    assert.equal(a.commandTimeoutMs, 5000);
    assert.deepEqual(a.wait, { minMs: 2000, maxMs: 8000 }, 'max defaults to 4 × min, as in Vault');
    assert.equal(a.leftDelimiter, '[[');
    assert.equal(b.perms, 0o644);
    assert.deepEqual(b.command, ['/bin/true', 'x']);
  });

  test('wait also takes consul-template\'s "min:max" string', () => {
    const parsed = parseTemplateStanzas({
      template: [
        { contents: 'x', destination: 'a', wait: '2s:10s' },
        { contents: 'x', destination: 'b', wait: '3s' },
      ],
    });
    assert.deepEqual(parsed.templates[0].wait, { minMs: 2000, maxMs: 10_000 });
    assert.deepEqual(parsed.templates[1].wait, { minMs: 3000, maxMs: 12_000 });
  });

  test('template-level exec { command timeout } is the newer spelling of command', () => {
    const parsed = parseTemplateStanzas({
      template: [{ contents: 'x', destination: 'a', exec: [{ command: ['touch', 'b'], timeout: 7 }] }],
    });
    assert.deepEqual(parsed.templates[0].command, ['touch', 'b']);
    assert.equal(parsed.templates[0].commandTimeoutMs, 7000);
  });

  const refused: { name: string; raw: Record<string, unknown>; error: RegExp | { message: string } }[] = [
    {
      name: 'no destination',
      raw: { template: [{ contents: 'x' }] },
      error: { message: 'template[0]: destination: is required' },
    },
    {
      name: 'neither source nor contents',
      raw: { template: [{ destination: 'a' }] },
      error: /template\[0\]: source: one of source or contents is required/,
    },
    {
      name: 'both source and contents',
      raw: { template: [{ source: 's', contents: 'c', destination: 'a' }] },
      error: /set either source or contents/,
    },
    {
      name: 'an unknown field',
      raw: { template: [{ contents: 'c', destination: 'a', destinaton: 'b' }] },
      error: /template\[0\]: destinaton: unknown field/,
    },
    {
      name: 'non-octal perms',
      raw: { template: [{ contents: 'c', destination: 'a', perms: '0800' }] },
      error: /perms: expected an octal mode/,
    },
    {
      name: 'a bad duration',
      raw: { template: [{ contents: 'c', destination: 'a', command_timeout: 'soon' }] },
      error: /command_timeout: expected a duration/,
    },
    {
      name: 'an empty command list',
      raw: { template: [{ contents: 'c', destination: 'a', command: [] }] },
      error: /command: expected a non-empty list/,
    },
    {
      name: 'a threshold of 1',
      raw: { template_config: [{ lease_renewal_threshold: 1 }] },
      error: /template_config: lease_renewal_threshold: expected a fraction/,
    },
    {
      name: 'two template_config blocks',
      raw: { template_config: [{}, {}] },
      error: /template_config: only one block/,
    },
    {
      name: 'two templates, one destination',
      raw: {
        template: [
          { contents: 'a', destination: 'x' },
          { contents: 'b', destination: 'x' },
        ],
      },
      error: /template\[1\]: destination: another template/,
    },
    {
      name: 'wait max below min',
      raw: { template: [{ contents: 'a', destination: 'x', wait: [{ min: '5s', max: '1s' }] }] },
      error: /template\[0\]\.wait: max: must not be less than min/,
    },
  ];
  for (const c of refused) {
    test(`refuses ${c.name}, naming the field`, () => {
      assert.throws(() => parseTemplateStanzas(c.raw), c.error);
    });
  }

  test('an error never shows the value', () => {
    assert.throws(
      () =>
        parseTemplateStanzas({ template: [{ contents: 'c', destination: 'a', perms: 'CANARY_hunter2' }] }),
      (error: Error) => !error.message.includes('CANARY_hunter2'),
    );
  });
});
