import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseHcl } from '../config/hcl.js';
import { type AgentConfig, agentConfigFromObject, loadAgentConfig } from './config.js';

const parse = async (text: string): Promise<AgentConfig> => agentConfigFromObject(await parseHcl(text));

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

  test('sink modes are octal as written (HCL 2 reads 0640 as decimal 640); wrap_ttl is kept', async () => {
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
}
`);
    assert.deepEqual(
      config.autoAuth?.sinks.map((s) => [s.mode, s.wrapTtl]),
      [
        [0o640, '5m'],
        [0o400, undefined],
      ],
    );
  });

  test('in a JSON config a sink mode is a plain number, as in Vault ("mode": 416 is 0640)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-agent-config-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.json');
    await writeFile(
      file,
      JSON.stringify({
        auto_auth: {
          method: { type: 'token_file', config: { token_file_path: '/t' } },
          sink: [{ type: 'file', config: { path: '/a', mode: 416 } }],
        },
      }),
    );
    const config = await loadAgentConfig(file);
    assert.equal(config.autoAuth?.method.settings.type, 'token_file');
    assert.equal(config.autoAuth?.sinks[0].mode, 0o640);
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
exec {
  command = ["app"]
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
    assert.deepEqual(Object.keys(config.rawTemplateStanzas).sort(), ['exec', 'template', 'template_config']);
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
      text: 'auto_auth {\n  method "kubernetes" {\n    config = { role = "a" }\n  }\n  sink "file" {\n    config = { path = "/p", mode = 999 }\n  }\n}',
      error: /"mode" must be an octal file mode/,
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
