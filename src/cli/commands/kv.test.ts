/** `kv …`: the mount preflight, v1/v2 path rewriting, request bodies and the kv table layout. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli } from '../testing.js';
import { addPrefix, padEqualSigns } from './kv-paths.js';

let fake: FakeVault;
let env: Record<string, string>;
const last = () => fake.requests.at(-1)!;
const calls = () => fake.requests.map((r) => `${r.method} ${r.path}`);

const metadata = {
  created_time: '2024-05-01T10:00:00.123456789Z',
  custom_metadata: null,
  deletion_time: '',
  destroyed: false,
  version: 2,
};

before(async () => {
  fake = await startFakeVault({
    'GET sys/internal/ui/mounts/secret/app': {
      body: envelope({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }),
    },
    'GET sys/internal/ui/mounts/secret': {
      body: envelope({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }),
    },
    'GET sys/internal/ui/mounts/kv1/app': {
      body: envelope({ data: { path: 'kv1/', type: 'kv', options: null } }),
    },
    'GET sys/internal/ui/mounts/locked/app': {
      status: 403,
      body: {
        errors: [
          'preflight capability check returned 403, please ensure client\'s policies grant access to path "locked/app/"',
        ],
      },
    },
    'GET secret/data/app': {
      body: envelope({ data: { data: { password: 's3cret' }, metadata }, mount_type: 'kv' }),
    },
    'PUT secret/data/app': { body: envelope({ data: metadata }) },
    'PATCH secret/data/app': { body: envelope({ data: metadata }) },
    'LIST secret/metadata': { body: envelope({ data: { keys: ['app', 'dir/'] } }) },
    'DELETE secret/data/app': { status: 204 },
    'PUT secret/delete/app': { status: 204 },
    'PUT secret/undelete/app': { status: 204 },
    'GET kv1/app': { body: envelope({ data: { user: 'bob' }, lease_duration: 2764800 }) },
    'PUT kv1/app': { status: 204 },
    'GET secret/metadata/app': {
      body: envelope({
        data: {
          current_version: 2,
          max_versions: 0,
          versions: {
            '1': { created_time: 't1', deletion_time: '', destroyed: true },
            '2': { created_time: 't2', deletion_time: '', destroyed: false },
          },
        },
      }),
    },
  });
  env = { VAULT_ADDR: fake.address, VAULT_TOKEN: 'hvs.root' };
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

test('path helpers follow vault', () => {
  assert.equal(addPrefix('secret/app', 'secret/', 'data'), 'secret/data/app');
  assert.equal(addPrefix('secret', 'secret/', 'metadata'), 'secret/metadata');
  assert.equal(padEqualSigns('Secret Path', 'secret/data/app'.length), '= Secret Path =');
  assert.equal(padEqualSigns('Data', 3), '== Data ==');
});

describe('kv on a v2 mount', () => {
  test('paths are taken as vault takes them: whitespace and end slashes trimmed, for every kv command', async () => {
    const commands = [
      { args: ['get', ' /secret/app/ '], call: 'GET secret/data/app' },
      { args: ['put', 'secret/app/', 'a=b'], call: 'PUT secret/data/app' },
      { args: ['patch', '/secret/app/', 'a=b'], call: 'PATCH secret/data/app' },
      { args: ['undelete', '-versions=1', 'secret/app/'], call: 'PUT secret/undelete/app' },
      { args: ['destroy', '-versions=1', ' secret/app/'], call: 'PUT secret/destroy/app' },
      { args: ['get', '-mount=/secret/ ', 'app/'], call: 'GET secret/data/app' },
    ];
    for (const { args, call } of commands) {
      fake.requests.length = 0;
      await runCli(['kv', ...args], { env });
      assert.ok(calls().includes(call), `kv ${args.join(' ')}: ${calls().join(', ')}`);
    }
  });

  test('get: preflight, then data/; the kv layout', async () => {
    const r = await runCli(['kv', 'get', 'secret/app'], { env });
    assert.equal(r.code, 0);
    assert.deepEqual(calls(), ['GET sys/internal/ui/mounts/secret/app', 'GET secret/data/app']);
    assert.equal(
      r.stdout,
      [
        '= Secret Path =',
        'secret/data/app',
        '',
        '======= Metadata =======',
        'Key                Value',
        '---                -----',
        'created_time       2024-05-01T10:00:00.123456789Z',
        'custom_metadata    <nil>',
        'deletion_time      n/a',
        'destroyed          false',
        'version            2',
        '',
        '====== Data ======',
        'Key         Value',
        '---         -----',
        'password    s3cret',
        '',
      ].join('\n'),
    );
  });

  test('get -field looks inside the data; -version is a query parameter', async () => {
    const r = await runCli(['kv', 'get', '-field=password', '-version=1', 'secret/app'], { env });
    assert.equal(r.stdout, 's3cret');
    assert.equal(last().query.get('version'), '1');
  });

  test('put wraps the pairs in data, with cas when given', async () => {
    const r = await runCli(['kv', 'put', '-cas=1', 'secret/app', 'password=new'], { env });
    assert.equal(r.code, 0);
    assert.deepEqual(
      [last().method, last().path, last().body],
      ['PUT', 'secret/data/app', { data: { password: 'new' }, options: { cas: 1 } }],
    );
    assert.match(r.stdout, /^= Secret Path =\nsecret\/data\/app\n\n======= Metadata =======\n/);
  });

  test('patch sends a merge patch', async () => {
    await runCli(['kv', 'patch', 'secret/app', 'extra=1'], { env });
    assert.equal(last().method, 'PATCH');
    assert.equal(last().headers['content-type'], 'application/merge-patch+json');
    assert.deepEqual(last().body, { data: { extra: '1' }, options: {} });
  });

  test('list goes to metadata/, delete to data/ or delete/ with versions, undelete needs versions', async () => {
    assert.equal((await runCli(['kv', 'list', 'secret/'], { env })).stdout, 'Keys\n----\napp\ndir/\n');
    assert.equal(`${last().method} ${last().path}`, 'LIST secret/metadata');
    await runCli(['kv', 'delete', 'secret/app'], { env });
    assert.equal(`${last().method} ${last().path}`, 'DELETE secret/data/app');
    await runCli(['kv', 'delete', '-versions=1,2', 'secret/app'], { env });
    assert.deepEqual([last().path, last().body], ['secret/delete/app', { versions: ['1', '2'] }]);
    const none = await runCli(['kv', 'undelete', 'secret/app'], { env });
    assert.equal(none.code, 1);
    await runCli(['kv', 'undelete', '-versions=1', 'secret/app'], { env });
    assert.deepEqual([last().path, last().body], ['secret/undelete/app', { versions: ['1'] }]);
  });

  test('metadata get prints the settings then each version', async () => {
    const r = await runCli(['kv', 'metadata', 'get', 'secret/app'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^== Metadata Path ==\nsecret\/metadata\/app\n\n/);
    assert.match(r.stdout, /current_version {4}2\n/);
    assert.match(r.stdout, /\n====== Version 1 ======\nKey {14}Value\n/);
  });
});

describe('kv on a v1 mount and errors', () => {
  test('v1 paths are used as given', async () => {
    const r = await runCli(['kv', 'get', 'kv1/app'], { env });
    assert.deepEqual(calls(), ['GET sys/internal/ui/mounts/kv1/app', 'GET kv1/app']);
    assert.equal(r.stdout, '==== Data ====\nKey     Value\n---     -----\nuser    bob\n');
    await runCli(['kv', 'put', 'kv1/app', 'user=alice'], { env });
    assert.deepEqual(last().body, { user: 'alice' });
    const patch = await runCli(['kv', 'patch', 'kv1/app', 'a=b'], { env });
    assert.equal(patch.code, 2);
  });

  test('a 403 preflight is fatal; a 404 preflight means v1', async () => {
    const r = await runCli(['kv', 'get', 'locked/app'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /preflight capability check returned 403/);
    const old = await runCli(['kv', 'get', 'old/app'], { env });
    assert.deepEqual(calls().slice(-2), ['GET sys/internal/ui/mounts/old/app', 'GET old/app']);
    assert.equal(old.stderr, 'No value found at old/app\n');
  });

  test('kv alone lists its subcommands, exit 1', async () => {
    const r = await runCli(['kv'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /metadata get/);
  });
});
