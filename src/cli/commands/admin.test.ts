/** `policy`, `secrets`, `auth`, `audit`, `lease` and `unwrap` against a recording fake. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli } from '../testing.js';

let fake: FakeVault;
let dir: string;
let env: Record<string, string>;
const last = () => fake.requests.at(-1)!;
const calls = () => fake.requests.map((r) => `${r.method} ${r.path}`);

const mounts = {
  'secret/': {
    type: 'kv',
    description: 'key/value secret storage',
    accessor: 'kv_1',
    uuid: 'u1',
    config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
    options: { version: '2' },
    local: false,
    seal_wrap: false,
  },
  'sys/': {
    type: 'system',
    description: 'system endpoints',
    accessor: 'system_1',
    uuid: 'u2',
    config: {},
    options: null,
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-admin-'));
  fake = await startFakeVault({
    'PUT sys/policies/acl/dev': { status: 204 },
    'GET sys/policies/acl/dev': { body: envelope({ data: { name: 'dev', policy: 'path "secret/*" {}\n' } }) },
    'DELETE sys/policies/acl/dev': { status: 204 },
    'LIST sys/policies/acl': { body: envelope({ data: { keys: ['default', 'dev', 'root'] } }) },
    'POST sys/mounts/kv2': { status: 204 },
    'DELETE sys/mounts/kv2': { status: 204 },
    'POST sys/mounts/kv2/tune': { status: 204 },
    'GET sys/mounts': { body: { ...mounts, ...envelope({ data: mounts }) } },
    'POST sys/remount': { body: envelope({ data: { migration_id: 'mig-1' } }) },
    'GET sys/remount/status/mig-1': {
      body: envelope({ data: { migration_id: 'mig-1', migration_info: { status: 'success' } } }),
    },
    'POST sys/auth/userpass': { status: 204 },
    'DELETE sys/auth/userpass': { status: 204 },
    'POST sys/auth/userpass/tune': { status: 204 },
    'GET sys/auth': {
      body: envelope({
        data: {
          'token/': {
            type: 'token',
            description: 'token based credentials',
            accessor: 'auth_token_1',
            config: {},
          },
        },
      }),
    },
    'PUT sys/audit/file': { status: 204 },
    'DELETE sys/audit/file': { status: 204 },
    'GET sys/audit': { body: envelope({ data: {} }) },
    'PUT sys/leases/lookup': {
      body: envelope({ data: { id: 'db/creds/r/abc', ttl: 600, renewable: true } }),
    },
    'PUT sys/leases/renew': {
      body: envelope({ lease_id: 'db/creds/r/abc', lease_duration: 3600, renewable: true }),
    },
    'PUT sys/leases/revoke': { status: 204 },
    'PUT sys/leases/revoke-prefix/db/creds/': { status: 204 },
    'PUT sys/leases/revoke-force/db/creds/': { status: 204 },
    'PUT sys/wrapping/unwrap': { body: envelope({ data: { password: 'unwrapped' } }) },
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

describe('policy', () => {
  test('write uploads the file under a lower-cased name; - reads stdin', async () => {
    const file = join(dir, 'dev.hcl');
    await writeFile(file, 'path "secret/*" { capabilities = ["read"] }\n');
    const r = await runCli(['policy', 'write', 'DEV', file], { env });
    assert.equal(r.stdout, 'Success! Uploaded policy: dev\n');
    assert.deepEqual(
      [last().method, last().path, last().body],
      ['PUT', 'sys/policies/acl/dev', { policy: 'path "secret/*" { capabilities = ["read"] }\n' }],
    );
    await runCli(['policy', 'write', 'dev', '-'], { env, stdin: 'path "x" {}' });
    assert.deepEqual(last().body, { policy: 'path "x" {}' });
  });

  test('read, list and delete', async () => {
    assert.equal((await runCli(['policy', 'read', 'dev'], { env })).stdout, 'path "secret/*" {}\n');
    const missing = await runCli(['policy', 'read', 'ghost'], { env });
    assert.deepEqual([missing.code, missing.stderr], [2, 'No policy named: ghost\n']);
    assert.equal((await runCli(['policy', 'list'], { env })).stdout, 'default\ndev\nroot\n');
    assert.equal(last().method, 'LIST');
    assert.equal(
      (await runCli(['policy', 'delete', 'dev'], { env })).stdout,
      'Success! Deleted policy: dev\n',
    );
    assert.equal(last().method, 'DELETE');
  });

  // Runs once src/policy/parse.ts (being written in parallel) provides formatPolicyHcl.
  const formatter = new URL('../../policy/parse.ts', import.meta.url);
  test('fmt rewrites the file with the policy formatter, locally', {
    skip: !existsSync(formatter),
  }, async () => {
    const { formatPolicyHcl } = await import(formatter.href);
    const file = join(dir, 'messy.hcl');
    const text = 'path "secret/*" {\ncapabilities=["read"]\n}\n';
    await writeFile(file, text);
    const r = await runCli(['policy', 'fmt', file], { env });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `Success! Formatted policy: ${file}\n`);
    assert.equal(await readFile(file, 'utf8'), await formatPolicyHcl(text));
    assert.equal(fake.requests.length, 0);
  });

  test('fmt of a missing file is a local error, no request', async () => {
    const r = await runCli(['policy', 'fmt', join(dir, 'nope.hcl')], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error opening policy file: /);
    assert.equal(fake.requests.length, 0);
  });
});

describe('secrets', () => {
  test('enable sends the Go client mount body', async () => {
    const r = await runCli(['secrets', 'enable', '-path=kv2', '-version=2', '-description=team kv', 'kv'], {
      env,
    });
    assert.equal(r.stdout, 'Success! Enabled the kv secrets engine at: kv2/\n');
    assert.deepEqual(
      [last().method, last().path, last().body],
      [
        'POST',
        'sys/mounts/kv2',
        {
          type: 'kv',
          description: 'team kv',
          config: { options: null, default_lease_ttl: '0s', max_lease_ttl: '0s', force_no_cache: false },
          local: false,
          seal_wrap: false,
          external_entropy_access: false,
          options: { version: '2' },
        },
      ],
    );
  });

  test('tune sends only what was given; "system" resets a TTL', async () => {
    const r = await runCli(
      [
        'secrets',
        'tune',
        '-default-lease-ttl=1h',
        '-max-lease-ttl=system',
        '-listing-visibility=unauth',
        'kv2',
      ],
      { env },
    );
    assert.equal(r.stdout, 'Success! Tuned the secrets engine at: kv2/\n');
    assert.deepEqual(last().body, {
      options: null,
      default_lease_ttl: '1h0m0s',
      max_lease_ttl: 'system',
      listing_visibility: 'unauth',
    });
  });

  test('list prints the mount table, sorted; -detailed adds columns; json is the data', async () => {
    const r = await runCli(['secrets', 'list'], { env });
    assert.equal(
      r.stdout,
      'Path       Type      Accessor    Description\n----       ----      --------    -----------\nsecret/    kv        kv_1        key/value secret storage\nsys/       system    system_1    system endpoints\n',
    );
    const detailed = await runCli(['secrets', 'list', '-detailed'], { env });
    assert.match(
      detailed.stdout,
      /secret\/ {4}kv {8}kv_1 {8}system {9}system {5}false {13}replicated {5}false {8}map\[version:2\]/,
    );
    const json = await runCli(['secrets', 'list', '-format=json'], { env });
    assert.equal(JSON.parse(json.stdout)['secret/'].type, 'kv');
  });

  test('disable and move', async () => {
    assert.equal(
      (await runCli(['secrets', 'disable', 'kv2'], { env })).stdout,
      'Success! Disabled the secrets engine (if it existed) at: kv2/\n',
    );
    assert.equal(`${last().method} ${last().path}`, 'DELETE sys/mounts/kv2');
    fake.requests.length = 0;
    const r = await runCli(['secrets', 'move', 'old', 'new'], { env });
    assert.equal(r.code, 0);
    assert.deepEqual(calls(), ['POST sys/remount', 'GET sys/remount/status/mig-1']);
    assert.deepEqual(fake.requests[0].body, { from: 'old/', to: 'new/' });
    assert.match(
      r.stdout,
      /Success! Finished moving secrets engine old\/ to new\/, with migration ID mig-1\n$/,
    );
  });
});

describe('auth', () => {
  test('enable, tune, list and disable', async () => {
    let r = await runCli(['auth', 'enable', 'userpass'], { env });
    assert.equal(r.stdout, 'Success! Enabled userpass auth method at: userpass/\n');
    assert.equal(`${last().method} ${last().path}`, 'POST sys/auth/userpass');
    assert.equal(last().body.type, 'userpass');
    r = await runCli(['auth', 'tune', '-token-type=batch', 'userpass/'], { env });
    assert.deepEqual([last().path, last().body.token_type], ['sys/auth/userpass/tune', 'batch']);
    r = await runCli(['auth', 'list'], { env });
    assert.match(r.stdout, /^Path {6}Type {5}Accessor {8}Description\n/);
    assert.match(r.stdout, /token\/ {4}token {4}auth_token_1 {4}token based credentials\n/);
    r = await runCli(['auth', 'disable', 'userpass'], { env });
    assert.equal(r.stdout, 'Success! Disabled the auth method (if it existed) at: userpass/\n');
  });

  test('tune -user-lockout-*: only the given lockout flags, as vault sends them', async () => {
    await runCli(['auth', 'tune', '-user-lockout-threshold=10', '-user-lockout-duration=10m', 'userpass'], {
      env,
    });
    assert.deepEqual(last().body.user_lockout_config, { lockout_threshold: '10', lockout_duration: '10m0s' });
    await runCli(['auth', 'tune', '-user-lockout-disable', 'userpass'], { env });
    assert.deepEqual(last().body.user_lockout_config, { lockout_disable: true });
    await runCli(['auth', 'tune', '-token-type=service', 'userpass'], { env });
    assert.equal(last().body.user_lockout_config, undefined);
  });
});

describe('audit', () => {
  test('enable sends the options from K=V pairs', async () => {
    const r = await runCli(['audit', 'enable', 'file', 'file_path=/var/log/audit.log'], { env });
    assert.equal(r.stdout, 'Success! Enabled the file audit device at: file/\n');
    assert.deepEqual(
      [last().method, last().path, last().body],
      [
        'PUT',
        'sys/audit/file',
        { type: 'file', description: '', options: { file_path: '/var/log/audit.log' }, local: false },
      ],
    );
  });

  test('an empty list is exit 2; disable', async () => {
    const r = await runCli(['audit', 'list'], { env });
    assert.deepEqual([r.code, r.stdout], [2, 'No audit devices are enabled.\n']);
    assert.equal(
      (await runCli(['audit', 'disable', 'file'], { env })).stdout,
      'Success! Disabled audit device (if it was enabled) at: file/\n',
    );
  });
});

describe('lease and unwrap', () => {
  test('lease lookup, renew and revoke', async () => {
    let r = await runCli(['lease', 'lookup', 'db/creds/r/abc'], { env });
    assert.deepEqual(last().body, { lease_id: 'db/creds/r/abc' });
    assert.match(r.stdout, /ttl {10}10m\n/);
    r = await runCli(['lease', 'renew', '-increment=1h', 'db/creds/r/abc'], { env });
    assert.deepEqual(last().body, { lease_id: 'db/creds/r/abc', increment: 3600 });
    assert.match(r.stdout, /lease_duration {5}1h\n/);
    r = await runCli(['lease', 'revoke', 'db/creds/r/abc'], { env });
    assert.equal(r.stdout, 'All revocation operations queued successfully!\n');
    assert.deepEqual(last().body, { lease_id: 'db/creds/r/abc', sync: false });
    r = await runCli(['lease', 'revoke', '-prefix', '-sync', 'db/creds/'], { env });
    assert.equal(r.stdout, 'Success! Revoked any leases with prefix: db/creds/\n');
    r = await runCli(['lease', 'revoke', '-force', '-prefix', 'db/creds/'], { env });
    assert.equal(last().path, 'sys/leases/revoke-force/db/creds/');
    r = await runCli(['lease', 'revoke', '-force', 'db/creds/'], { env });
    assert.deepEqual([r.code, r.stderr], [1, 'Specifying -force requires also specifying -prefix\n']);
  });

  test('unwrap with and without a token argument', async () => {
    const r = await runCli(['unwrap', '-field=password', 'hvs.wrap'], { env });
    assert.equal(r.stdout, 'unwrapped');
    assert.deepEqual(last().body, { token: 'hvs.wrap' });
    await runCli(['unwrap'], { env: { VAULT_ADDR: fake.address, VAULT_TOKEN: 'hvs.wrap' } });
    assert.equal(last().headers['x-vault-token'], 'hvs.wrap');
    assert.equal(last().body, undefined);
  });
});

describe('main', () => {
  test('no command is 127, an unknown one too; a bare group is 1; -h is 0', async () => {
    assert.equal((await runCli([])).code, 127);
    assert.equal((await runCli(['frobnicate'])).code, 127);
    const group = await runCli(['operator']);
    assert.equal(group.code, 1);
    assert.match(group.stderr, /Subcommands:\n {4}init/);
    const help = await runCli(['secrets', 'enable', '-h']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: coffer secrets enable/);
    assert.match((await runCli(['version'])).stdout, /^Coffer v\d/);
  });
});
