import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentConfig, loadAgentConfig, parseAgentHcl, validateAgentConfig } from './config.js';
import { octalModeLiterals } from './hcl-modes.js';

const parse = parseAgentHcl;

const APPROLE = `
auto_auth {
  method "approle" {
    config = {
      role_id_file_path   = "/etc/coffer/role-id"
      secret_id_file_path = "/etc/coffer/secret-id"
    }
  }
  sink "file" {
    config = { path = "/run/coffer/token" }
  }
}
`;

describe('agent configuration', () => {
  test('an approle method takes Vault defaults: auth/approle, 1s to 5m backoff, remove the secret ID file', async () => {
    const config = await parse(APPROLE);
    assert.deepEqual(config.autoAuth?.method, {
      settings: {
        type: 'approle',
        roleIdFilePath: '/etc/coffer/role-id',
        secretIdFilePath: '/etc/coffer/secret-id',
        removeSecretIdFileAfterReading: true,
        secretIdResponseWrappingPath: undefined,
      },
      mountPath: 'auth/approle',
      minBackoffMs: 1000,
      maxBackoffMs: 300_000,
      exitOnErr: false,
    });
    assert.deepEqual(config.autoAuth?.sinks, [
      { path: '/run/coffer/token', mode: undefined, wrapTtl: undefined },
    ]);
    assert.equal(config.useAutoAuthToken, false);
    assert.equal(config.vault.numRetries, 12);
  });

  test('the unlabelled form (method { type = "jwt" }) and every method field', async () => {
    const config = await parse(`
auto_auth {
  method {
    type        = "jwt"
    mount_path  = "auth/oidc/"
    min_backoff = "2s"
    max_backoff = "30s"
    exit_on_err = true
    config {
      path = "/var/jwt"
      role = "app"
      remove_jwt_after_reading = false
    }
  }
}
`);
    assert.deepEqual(config.autoAuth?.method, {
      settings: {
        type: 'jwt',
        path: '/var/jwt',
        role: 'app',
        removeJwtAfterReading: false,
        removeJwtFollowsSymlinks: false,
      },
      mountPath: 'auth/oidc',
      minBackoffMs: 2000,
      maxBackoffMs: 30_000,
      exitOnErr: true,
    });
  });

  test('kubernetes defaults to the service account token path; token_file to auth/token', async () => {
    const k8s = await parse('auto_auth {\n  method "kubernetes" {\n    config = { role = "web" }\n  }\n}\n');
    assert.deepEqual(k8s.autoAuth?.method.settings, {
      type: 'kubernetes',
      role: 'web',
      tokenPath: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    });
    const file = await parse(
      'auto_auth {\n  method "token_file" {\n    config = { token_file_path = "/t" }\n  }\n}\n',
    );
    assert.equal(file.autoAuth?.method.mountPath, 'auth/token');
  });

  test('sink modes are read as Vault reads them with HCL 1: 0640 is octal, 416 the same mode, 640 decimal; wrap_ttl is kept', async () => {
    const config = await parse(`
auto_auth {
  method "token_file" {
    config = { token_file_path = "/t" }
  }
  sink "file" {
    wrap_ttl = "5m"
    config = { path = "/a", mode = 0640 }
  }
  sink "file" {
    config = { path = "/b", mode = "0400" }
  }
  sink "file" {
    config = {
      path = "/c"
      mode = 416
    }
  }
  sink "file" {
    config = { path = "/d", mode = 640 }  # decimal 640 is 0o1200: Vault applies its permission bits, 0o200
  }
  sink "file" {
    config = { path = "/e", mode = 00 }
  }
}
`);
    assert.deepEqual(
      config.autoAuth?.sinks.map((s) => [s.mode, s.wrapTtl]),
      [
        [0o640, '5m'],
        [0o400, undefined],
        [0o640, undefined],
        [0o200, undefined],
        [0, undefined],
      ],
    );
  });

  test('only a mode attribute written as a number with a leading zero is rewritten before parsing', () => {
    const kept = [
      'socket_mode = 0600',
      'x = "mode = 0640"',
      '# mode = 0640',
      '// mode = 0640',
      '/* mode = 0640 */',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL template inside a string, not JavaScript's
      'x = "${"a"} mode = 0640"',
      'contents = <<EOT\nmode = 0640\n  EOT\n',
      'contents = <<-EOT\n  mode = 0640\n  EOT\n',
      'mode = 640',
      'mode = 0.5',
      'x = a.mode == 0640',
      'modes = 0640',
    ];
    for (const text of kept) assert.equal(octalModeLiterals(text), text, text);
    assert.equal(
      octalModeLiterals('config = { path = "/a", mode = 0640 }'),
      'config = { path = "/a", mode = 416 }',
    );
    assert.equal(octalModeLiterals('config = { mode: 0600 }'), 'config = { mode: 384 }');
    assert.equal(
      octalModeLiterals('contents = <<EOT\nmode = 0640\nEOT\nmode = 0600 # after the heredoc'),
      'contents = <<EOT\nmode = 0640\nEOT\nmode = 384 # after the heredoc',
    );
    assert.throws(() => octalModeLiterals('mode = 0999'), /0999: not an octal number/);
  });

  test('in a JSON config a sink mode is a plain number, as in Vault ("mode": 416 is 0640); only its permission bits apply', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-config-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({
        auto_auth: {
          method: { type: 'token_file', config: { token_file_path: '/t' } },
          sink: [
            { type: 'file', config: { path: '/a', mode: 416 } },
            // 2541 is 0o4755: Vault's os.FileMode takes no setuid bit from it, the file is 0755.
            { type: 'file', config: { path: '/b', mode: 0o4755 } },
          ],
        },
      }),
    );
    const config = await loadAgentConfig(file);
    assert.equal(config.autoAuth?.method.settings.type, 'token_file');
    assert.deepEqual(
      config.autoAuth?.sinks.map((s) => s.mode),
      [0o640, 0o755],
    );
  });

  test('in a JSON config a template perms number is the mode itself, as in Vault ("perms": 416 is 0640, not 0416)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-config-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'template.json');
    await writeFile(
      file,
      JSON.stringify({
        auto_auth: { method: { type: 'token_file', config: { token_file_path: '/t' } } },
        template: [{ contents: 'x', destination: '/x', perms: 416 }],
      }),
    );
    const config = await loadAgentConfig(file);
    assert.equal(config.templates.templates[0].perms, 0o640);
  });

  test('listeners, api_proxy force, the older cache form, vault retry and template blocks kept raw', async () => {
    const config = await parse(`${APPROLE}
vault {
  address = "https://coffer:8200"
  tls_skip_verify = true
  retry {
    num_retries = -1
  }
}
api_proxy {
  use_auto_auth_token = "force"
}
listener "tcp" {
  address = "127.0.0.1:8100"
  tls_disable = true
  require_request_header = true
}
listener "unix" {
  address = "/run/agent.sock"
}
template {
  contents    = "{{ with secret \\"kv/data/x\\" }}{{ end }}"
  destination = "/x"
}
template_config {
  exit_on_retry_failure = true
}
`);
    assert.equal(config.useAutoAuthToken, 'force');
    assert.equal(config.vault.numRetries, 0);
    assert.equal(config.vault.tlsSkipVerify, true);
    assert.deepEqual(
      config.listeners.map((l) => [l.type, l.address, l.requireRequestHeader, l.socketMode]),
      [
        ['tcp', '127.0.0.1:8100', true, 0o600],
        ['unix', '/run/agent.sock', false, 0o600],
      ],
    );
    assert.deepEqual(Object.keys(config.rawTemplateStanzas).sort(), ['template', 'template_config']);
    assert.equal(config.templates.templates[0].destination, '/x');
    assert.equal(config.templates.templateConfig.exitOnRetryFailure, true);
    assert.equal(config.exec, undefined);
    const legacy = await parse(`${APPROLE}\ncache {\n  use_auto_auth_token = true\n}\n`);
    assert.equal(legacy.useAutoAuthToken, true);
  });

  const errors: { name: string; text: string; error: RegExp }[] = [
    {
      name: 'unknown method type',
      text: 'auto_auth {\n  method "github" {\n  }\n}',
      error: /method "github": unknown auth method type/,
    },
    {
      name: 'two methods',
      text: `auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  method "jwt" {\n  }\n}`,
      error: /exactly one method/,
    },
    {
      name: 'missing role_id_file_path',
      text: 'auto_auth {\n  method "approle" {\n    config = { secret_id_file_path = "/s" }\n  }\n}',
      error: /"role_id_file_path" is required/,
    },
    {
      name: 'unknown approle field',
      text: 'auto_auth {\n  method "approle" {\n    config = { role_id_file_path = "/r", secret_id = "CANARY-s3cr3t" }\n  }\n}',
      error: /unknown field "secret_id"$/,
    },
    {
      name: 'jwt without role',
      text: 'auto_auth {\n  method "jwt" {\n    config = { path = "/j" }\n  }\n}',
      error: /"role" is required/,
    },
    {
      name: 'namespace',
      text: 'auto_auth {\n  method "jwt" {\n    namespace = "ns1"\n    config = { path = "/j", role = "r" }\n  }\n}',
      error: /"namespace" is not supported/,
    },
    {
      name: 'unknown sink type',
      text: 'auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  sink "consul" {\n  }\n}',
      error: /sink "consul": unknown sink type/,
    },
    {
      name: 'bad sink mode',
      text: 'auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  sink "file" {\n    config = { path = "/p", mode = 5000 }\n  }\n}',
      error: /"mode" must be an octal file mode/,
    },
    {
      name: 'a sink mode with a leading zero that is not octal',
      text: 'auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  sink "file" {\n    config = { path = "/p", mode = 0999 }\n  }\n}',
      error: /mode = 0999: not an octal number/,
    },
    {
      name: 'min above max backoff',
      text: 'auto_auth {\n  method "kubernetes" {\n    min_backoff = "10s"\n    max_backoff = "1s"\n    config = { role = "a" }\n  }\n}',
      error: /"min_backoff" cannot be greater than "max_backoff"/,
    },
    {
      name: 'a wrap_ttl that is no duration',
      text: 'auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  sink "file" {\n    wrap_ttl = "soon"\n    config = { path = "/p" }\n  }\n}',
      error: /wrap_ttl/,
    },
    {
      name: 'unknown listener type',
      text: 'listener "udp" {\n}',
      error: /listener "udp": unknown listener type/,
    },
    {
      name: 'tls listener without files',
      text: 'listener "tcp" {\n  address = "127.0.0.1:1"\n}',
      error: /"tls_cert_file" and "tls_key_file" are required/,
    },
    {
      name: 'use_auto_auth_token without auto_auth',
      text: 'api_proxy {\n  use_auto_auth_token = true\n}',
      error: /requires an auto_auth block/,
    },
    { name: 'unknown top-level key', text: 'auto_auths {\n}', error: /unknown field "auto_auths"/ },
    {
      name: 'a template without destination',
      text: 'template {\n  contents = "CANARY-tmpl"\n}',
      error: /template\[0\]: destination: is required/,
    },
    {
      name: 'an unknown template field',
      text: 'template {\n  contents = "x"\n  destination = "/x"\n  perm = "CANARY-0600"\n}',
      error: /template\[0\]: perm: unknown field/,
    },
    {
      name: 'exec with template',
      text: 'exec {\n  command = ["app"]\n}\nenv_template "A" {\n  contents = "x"\n}\ntemplate {\n  contents = "x"\n  destination = "/x"\n}',
      error: /exec: cannot be combined with template blocks/,
    },
    {
      name: 'exec without env_template',
      text: 'exec {\n  command = ["app"]\n}',
      error: /exec: needs at least one env_template block/,
    },
    {
      name: 'env_template without exec',
      text: 'env_template "A" {\n  contents = "CANARY-x"\n}',
      error: /env_template blocks require a top-level exec block/,
    },
    {
      name: 'exec with api_proxy',
      text: 'exec {\n  command = ["app"]\n}\nenv_template "A" {\n  contents = "x"\n}\napi_proxy {\n}',
      error: /api_proxy cannot be combined with exec mode/,
    },
  ];
  for (const c of errors) {
    test(`refused: ${c.name}`, async () => {
      await assert.rejects(parse(c.text), (error: Error) => {
        assert.match(error.message, c.error);
        assert.doesNotMatch(error.message, /CANARY/);
        return true;
      });
    });
  }
});

describe('validateAgentConfig: Vault rules for a whole config', () => {
  const cases = [
    {
      name: 'auto_auth with nothing to give its token to',
      text: 'auto_auth {\n  method "token_file" {\n    config = { token_file_path = "/t" }\n  }\n}',
      error: /auto_auth requires at least one sink, template or exec block/,
    },
    {
      name: 'templates without auto_auth',
      text: 'listener "unix" {\n  address = "/s"\n}\ntemplate {\n  contents = "x"\n  destination = "/x"\n}',
      error: /template and exec blocks require an auto_auth block/,
    },
    { name: 'an empty config', text: 'log_level = "info"', error: /no auto_auth, listener/ },
  ];
  for (const c of cases) {
    test(`refused: ${c.name}`, async () => {
      assert.throws(() => validateAgentConfig(agentConfigFromObjectSync(c.text)), c.error);
    });
  }
  const agentConfigFromObjectSync = (text: string) => parsed.get(text)!;
  const parsed = new Map<string, AgentConfig>();
  before(async () => {
    for (const c of cases) parsed.set(c.text, await parse(c.text));
  });

  test('auto_auth with only a template is enough', async () => {
    validateAgentConfig(
      await parse(
        'auto_auth {\n  method "token_file" {\n    config = { token_file_path = "/t" }\n  }\n}\ntemplate {\n  contents = "x"\n  destination = "/x"\n}',
      ),
    );
  });

  test('a template that does not compile is refused at load, by name and line, without its text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-config-'));
    try {
      const file = join(dir, 'agent.hcl');
      await writeFile(
        file,
        'auto_auth {\n  method "token_file" {\n    config = { token_file_path = "/t" }\n  }\n}\ntemplate {\n  contents = "CANARY-a {{ with secret "\n  destination = "/x"\n}',
      );
      await assert.rejects(loadAgentConfig(file), (error: Error) => {
        assert.doesNotMatch(error.message, /CANARY/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
