/** `read|write|list|delete` and the global flags, against a recording fake. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli } from '../testing.js';

let fake: FakeVault;
let dir: string;
let env: Record<string, string>;
const last = () => fake.requests.at(-1)!;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-logical-'));
  fake = await startFakeVault({
    'GET secret/app': {
      body: envelope({ data: { password: 's3cret', port: 5432 }, lease_duration: 2764800, mount_type: 'kv' }),
    },
    'GET secret/denied': { status: 403, body: { errors: ['permission denied'] } },
    'PUT secret/app': { status: 204 },
    'PUT pki/issue/web': { body: envelope({ data: { serial: '01:02' }, warnings: ['ttl clamped'] }) },
    'LIST secret/apps': { body: envelope({ data: { keys: ['web', 'db/'] } }) },
    'LIST secret/empty': { status: 404, body: { errors: [] } },
    'DELETE secret/app': { status: 204 },
  });
  env = { VAULT_ADDR: fake.address, VAULT_TOKEN: 'hvs.root' };
});
after(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('read', () => {
  test('GET with the token; K=V pairs become query parameters; table output', async () => {
    const r = await runCli(['read', 'secret/app', 'version=2'], { env });
    assert.equal(r.code, 0);
    assert.equal(last().method, 'GET');
    assert.equal(last().path, 'secret/app');
    assert.equal(last().query.get('version'), '2');
    assert.equal(last().headers['x-vault-token'], 'hvs.root');
    assert.equal(
      r.stdout,
      'Key                 Value\n---                 -----\nrefresh_interval    768h\npassword            s3cret\nport                5432\n',
    );
  });

  test('-format=json prints the secret envelope in the Go client order', async () => {
    const r = await runCli(['read', '-format=json', 'secret/app'], { env });
    assert.equal(
      r.stdout,
      '{\n  "request_id": "req-1",\n  "lease_id": "",\n  "lease_duration": 2764800,\n  "renewable": false,\n  "data": {\n    "password": "s3cret",\n    "port": 5432\n  },\n  "warnings": null,\n  "mount_type": "kv"\n}\n',
    );
  });

  test('-field prints the raw value with no newline when piped', async () => {
    const r = await runCli(['read', '-field=password', 'secret/app'], { env });
    assert.equal(r.stdout, 's3cret');
    assert.equal(
      (await runCli(['read', '-field=password', 'secret/app'], { env, tty: true })).stdout,
      's3cret\n',
    );
    const missing = await runCli(['read', '-field=nope', 'secret/app'], { env });
    assert.equal(missing.code, 1);
  });

  test('nothing there: "No value found at PATH", exit 2', async () => {
    const r = await runCli(['read', '/secret/none/'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'No value found at secret/none\n');
  });

  test('an API error is printed as vault does, exit 2', async () => {
    const r = await runCli(['read', 'secret/denied'], { env });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `Error reading secret/denied: Error making API request.\n\nURL: GET ${fake.address}/v1/secret/denied\nCode: 403. Errors:\n\n* permission denied\n`,
    );
  });

  test('VAULT_FORMAT applies without a flag; the flag wins over it', async () => {
    const r = await runCli(['read', 'secret/app'], { env: { ...env, VAULT_FORMAT: 'json' } });
    assert.equal(JSON.parse(r.stdout).data.password, 's3cret');
    const t = await runCli(['read', '-format=table', 'secret/app'], {
      env: { ...env, VAULT_FORMAT: 'json' },
    });
    assert.match(t.stdout, /^Key /);
  });
});

describe('write', () => {
  test('K=V pairs, @file and k=- stdin make the JSON body of a PUT', async () => {
    await writeFile(join(dir, 'pw.txt'), 'from-file');
    const r = await runCli(
      ['write', 'secret/app', 'user=bob', `password=@${join(dir, 'pw.txt')}`, 'note=-'],
      {
        env,
        stdin: 'from stdin',
      },
    );
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Success! Data written to: secret/app\n');
    assert.equal(last().method, 'PUT');
    assert.deepEqual(last().body, { user: 'bob', password: 'from-file', note: 'from stdin' });
  });

  test('a lone - reads a JSON object from stdin', async () => {
    await runCli(['write', 'secret/app', '-'], { env, stdin: '{"ttl":"1h","n":3}' });
    assert.deepEqual(last().body, { ttl: '1h', n: 3 });
  });

  test('no data needs -force; -force sends an empty object', async () => {
    const r = await runCli(['write', 'secret/app'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Must supply data or use -force\n');
    assert.equal(fake.requests.length, 0);
    assert.equal((await runCli(['write', '-f', 'secret/app'], { env })).code, 0);
    assert.deepEqual(last().body, {});
  });

  test('an answer with data is printed, warnings on stderr; json prints nothing for a 204', async () => {
    const r = await runCli(['write', 'pki/issue/web', 'common_name=a.example'], { env });
    assert.match(r.stdout, /serial {4}01:02/);
    assert.match(r.stderr, /\* ttl clamped/);
    const quiet = await runCli(['write', '-format=json', 'secret/app', 'a=b'], { env });
    assert.equal(quiet.stdout, '');
  });

  test('a bad pair is a usage error', async () => {
    const r = await runCli(['write', 'secret/app', 'oops'], { env });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "Failed to parse K=V data: Invalid key/value pair 'oops': format must be key=value\n",
    );
  });
});

describe('list and delete', () => {
  test('list uses the LIST verb and prints sorted keys', async () => {
    const r = await runCli(['list', 'secret/apps/'], { env });
    assert.equal(last().method, 'LIST');
    assert.equal(last().path, 'secret/apps');
    assert.equal(r.stdout, 'Keys\n----\ndb/\nweb\n');
    const json = await runCli(['list', '-format=json', 'secret/apps'], { env });
    assert.deepEqual(JSON.parse(json.stdout), ['web', 'db/']);
  });

  test('an empty list is exit 2', async () => {
    const r = await runCli(['list', 'secret/empty'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'No value found at secret/empty\n');
    const json = await runCli(['list', '-format=json', 'secret/empty'], { env });
    assert.equal(json.code, 2);
    assert.equal(json.stdout, '{}\n');
  });

  test('delete sends DELETE', async () => {
    const r = await runCli(['delete', 'secret/app'], { env });
    assert.equal(last().method, 'DELETE');
    assert.equal(r.stdout, 'Success! Data deleted (if it existed) at: secret/app\n');
  });
});

describe('global flags', () => {
  test('-wrap-ttl sends X-Vault-Wrap-TTL as a Go duration and prints the wrap info', async () => {
    fake.route('GET secret/wrapped', (req) => ({
      body: envelope({
        request_id: '',
        wrap_info: req.headers['x-vault-wrap-ttl']
          ? {
              token: 'hvs.wrap',
              accessor: 'wacc',
              ttl: 300,
              creation_time: '2024-05-01T10:00:00Z',
              creation_path: 'secret/wrapped',
            }
          : null,
      }),
    }));
    const r = await runCli(['read', '-wrap-ttl=5m', 'secret/wrapped'], { env });
    assert.equal(last().headers['x-vault-wrap-ttl'], '5m0s');
    assert.match(r.stdout, /wrapping_token: {18}hvs\.wrap\n/);
    assert.match(r.stdout, /wrapping_token_creation_path: {4}secret\/wrapped\n/);
    await runCli(['read', 'secret/wrapped'], { env: { ...env, VAULT_WRAP_TTL: '120' } });
    assert.equal(last().headers['x-vault-wrap-ttl'], '2m0s');
  });

  test('-address wins over VAULT_ADDR; -namespace sets the header', async () => {
    const r = await runCli(['read', `-address=${fake.address}`, '-namespace=team', 'secret/app'], {
      env: { VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 't' },
    });
    assert.equal(r.code, 0);
    assert.equal(last().headers['x-vault-namespace'], 'team');
  });

  test('-output-curl-string prints the command, sends nothing, never shows the token', async () => {
    const r = await runCli(['write', '-output-curl-string', 'secret/app', 'a=b'], { env });
    assert.equal(r.code, 0);
    assert.equal(fake.requests.length, 0);
    assert.equal(
      r.stdout,
      `curl -X PUT -H "X-Vault-Request: true" -H "X-Vault-Token: $(vault print token)" -H "Content-Type: application/json" -d '{"a":"b"}' ${fake.address}/v1/secret/app\n`,
    );
    assert.ok(!r.stdout.includes('hvs.root'));
  });

  test('an unknown flag is exit 1 with the Go message; X-Vault-* headers are refused', async () => {
    const r = await runCli(['read', '-bogus', 'secret/app'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'flag provided but not defined: -bogus\n');
    const h = await runCli(['read', '-header=X-Vault-Token=x', 'secret/app'], { env });
    assert.equal(h.code, 2);
    assert.match(h.stderr, /Header starting by 'X-Vault-' are for internal usage only/);
  });

  test('flags after the path are warned about and treated as data', async () => {
    const r = await runCli(['read', 'secret/app', '-format=json'], { env });
    assert.match(r.stderr, /^Command flags must be provided before positional arguments/);
    assert.equal(last().query.get('-format'), 'json');
  });
});
