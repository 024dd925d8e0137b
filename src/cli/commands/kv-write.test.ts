/** `kv patch|rollback|metadata put|metadata patch|enable-versioning|list -mount`: requests sent and vault's messages. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli } from '../testing.js';

let fake: FakeVault;
let env: Record<string, string>;
const last = () => fake.requests.at(-1)!;
const calls = () => fake.requests.map((r) => `${r.method} ${r.path}`);

const v2Mount = { body: envelope({ data: { path: 'secret/', type: 'kv', options: { version: '2' } } }) };
const v1Mount = { body: envelope({ data: { path: 'kv1/', type: 'kv', options: null } }) };
const versionMeta = (version: number, extra: Record<string, unknown> = {}) => ({
  created_time: '2024-05-01T10:00:00Z',
  custom_metadata: null,
  deletion_time: '',
  destroyed: false,
  version,
  ...extra,
});
/** Reads of secret/data/app: version 1 deleted, 2 destroyed, 3 live (and latest). */
const versions: Record<string, { status?: number; data: unknown; meta: Record<string, unknown> }> = {
  '1': { status: 404, data: null, meta: versionMeta(1, { deletion_time: '2024-05-02T00:00:00Z' }) },
  '2': { status: 404, data: null, meta: versionMeta(2, { destroyed: true }) },
  '3': { data: { password: 'three' }, meta: versionMeta(3) },
  '4': { data: { password: 'four' }, meta: versionMeta(4) },
};

before(async () => {
  fake = await startFakeVault({
    'GET sys/internal/ui/mounts/secret/app': v2Mount,
    'GET sys/internal/ui/mounts/secret': v2Mount,
    'GET sys/internal/ui/mounts/kv1/app': v1Mount,
    'GET sys/internal/ui/mounts/kv1': v1Mount,
    'GET secret/data/app': (req) => {
      const v = versions[req.query.get('version') ?? '4'];
      if (!v) return { status: 404, body: { errors: [] } };
      return { status: v.status ?? 200, body: envelope({ data: { data: v.data, metadata: v.meta } }) };
    },
    'PUT secret/data/app': { body: envelope({ data: versionMeta(5) }) },
    'PATCH secret/data/app': { body: envelope({ data: versionMeta(5) }) },
    'PUT secret/metadata/app': { status: 204 },
    'PATCH secret/metadata/app': { status: 204 },
    'LIST secret/metadata': { body: envelope({ data: { keys: ['app'] } }) },
    'LIST kv1': { body: envelope({ data: { keys: ['one'] } }) },
    'POST sys/mounts/kv1/tune': { status: 204 },
  });
  env = { VAULT_ADDR: fake.address, VAULT_TOKEN: 'hvs.root' };
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

describe('kv patch', () => {
  test('-cas=0 is not sent (vault sends only a positive cas); -remove-data becomes null', async () => {
    const r = await runCli(['kv', 'patch', '-cas=0', '-remove-data=old', 'secret/app', 'a=1'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(last().body, { data: { a: '1', old: null }, options: {} });
    await runCli(['kv', 'patch', '-cas=4', '-mount=secret', 'app', 'a=1'], { env });
    assert.deepEqual(last().body.options, { cas: 4 });
  });

  test('-remove-data alone is enough data; nothing at all is refused', async () => {
    assert.equal((await runCli(['kv', 'patch', '-remove-data=x', 'secret/app'], { env })).code, 0);
    const none = await runCli(['kv', 'patch', 'secret/app'], { env });
    assert.deepEqual([none.code, none.stderr], [1, 'Must supply data\n']);
  });

  test('-method=rw reads, merges locally and writes with the read version as cas', async () => {
    const r = await runCli(['kv', 'patch', '-method=rw', '-remove-data=password', 'secret/app', 'b=2'], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls().slice(1), ['GET secret/data/app', 'PUT secret/data/app']);
    assert.deepEqual(last().body, { data: { b: '2' }, options: { cas: 4 } });
  });

  test('a 403 on PATCH falls back to rw with a warning; -method=patch does not', async () => {
    fake.route('PATCH secret/data/app', { status: 403, body: { errors: ['permission denied'] } });
    try {
      const r = await runCli(['kv', 'patch', 'secret/app', 'b=2'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /add the "patch" capability/);
      assert.equal(last().method, 'PUT');
      const strict = await runCli(['kv', 'patch', '-method=patch', 'secret/app', 'b=2'], { env });
      assert.equal(strict.code, 2);
      assert.match(strict.stderr, /^Error writing data to secret\/data\/app: .*\n\nURL: PATCH/s);
    } finally {
      fake.route('PATCH secret/data/app', { body: envelope({ data: versionMeta(5) }) });
    }
  });

  test('an unknown -method and a v1 mount are refused with exit 2', async () => {
    const bad = await runCli(['kv', 'patch', '-method=nope', 'secret/app', 'a=1'], { env });
    assert.deepEqual([bad.code, bad.stderr], [2, 'Unsupported method provided to -method flag: nope\n']);
    const v1 = await runCli(['kv', 'patch', 'kv1/app', 'a=1'], { env });
    assert.deepEqual([v1.code, v1.stderr], [2, 'KV engine mount must be version 2 for patch support\n']);
  });
});

describe('kv rollback', () => {
  test('reads the latest for cas, reads the version, writes its data as new', async () => {
    const r = await runCli(['kv', 'rollback', '-version=3', 'secret/app'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls().slice(1), ['GET secret/data/app', 'GET secret/data/app', 'PUT secret/data/app']);
    assert.equal(fake.requests[2].query.get('version'), '3');
    assert.deepEqual(last().body, { data: { password: 'three' }, options: { cas: 4 } });
    assert.match(r.stdout, /^Key {16}Value\n/);
    assert.match(r.stdout, /\nversion {12}5\n/);
  });

  const refusals = [
    { name: 'no -version', args: ['secret/app'], code: 1, stderr: 'Version flag must be specified' },
    {
      name: 'version 0',
      args: ['-version=0', 'secret/app'],
      code: 1,
      stderr: 'Invalid value 0 for the version flag',
    },
    {
      name: 'a negative version',
      args: ['-version=-2', 'secret/app'],
      code: 1,
      stderr: 'Invalid value -2 for the version flag',
    },
    {
      name: 'no path',
      args: ['-version=1'],
      code: 1,
      stderr: 'Invalid number of arguments (expected 1, got 0)',
    },
    {
      name: 'a deleted version',
      args: ['-version=1', 'secret/app'],
      code: 2,
      stderr: 'Cannot roll back to a version that has been deleted',
    },
    {
      name: 'a destroyed version',
      args: ['-version=2', 'secret/app'],
      code: 2,
      stderr: 'Cannot roll back to a version that has been destroyed',
    },
    {
      name: 'a missing version',
      args: ['-version=9', 'secret/app'],
      code: 2,
      stderr: 'No value found at secret/data/app',
    },
    {
      name: 'a v1 mount',
      args: ['-version=1', 'kv1/app'],
      code: 2,
      stderr: 'KV engine mount must be version 2 for rollback support',
    },
  ];
  for (const c of refusals) {
    test(`refuses ${c.name}`, async () => {
      const r = await runCli(['kv', 'rollback', ...c.args], { env });
      assert.deepEqual([r.code, r.stderr], [c.code, `${c.stderr}\n`]);
      assert.ok(!calls().includes('PUT secret/data/app'), 'nothing is written');
    });
  }
});

describe('kv metadata put and patch', () => {
  test('put sends only the flags given, with Go durations', async () => {
    const r = await runCli(
      [
        'kv',
        'metadata',
        'put',
        '-max-versions=5',
        '-cas-required',
        '-delete-version-after=3h25m19s',
        '-custom-metadata=owner=ops',
        '-custom-metadata=env=dev',
        'secret/app',
      ],
      { env },
    );
    assert.deepEqual([r.code, r.stdout], [0, 'Success! Data written to: secret/metadata/app\n']);
    assert.deepEqual(last().body, {
      max_versions: 5,
      cas_required: true,
      delete_version_after: '3h25m19s',
      custom_metadata: { owner: 'ops', env: 'dev' },
    });
    await runCli(['kv', 'metadata', 'put', '-mount=secret', 'app'], { env });
    assert.deepEqual([last().method, last().path, last().body], ['PUT', 'secret/metadata/app', {}]);
    await runCli(['kv', 'metadata', 'put', '-cas-required=false', '-max-versions=0', 'secret/app'], { env });
    assert.deepEqual(last().body, { max_versions: 0, cas_required: false });
  });

  test('patch is a merge patch; removed keys are null; json output is silent', async () => {
    const r = await runCli(
      [
        'kv',
        'metadata',
        'patch',
        '-format=json',
        '-custom-metadata=team=a',
        '-remove-custom-metadata=env',
        'secret/app',
      ],
      { env },
    );
    assert.deepEqual([r.code, r.stdout], [0, '']);
    assert.equal(last().method, 'PATCH');
    assert.equal(last().headers['content-type'], 'application/merge-patch+json');
    assert.deepEqual(last().body, { custom_metadata: { team: 'a', env: null } });
  });

  test('a v1 mount has no metadata (exit 1); a bad flag value is a usage error', async () => {
    const v1 = await runCli(['kv', 'metadata', 'put', 'kv1/app'], { env });
    assert.deepEqual([v1.code, v1.stderr], [1, 'Metadata not supported on KV Version 1\n']);
    const bad = await runCli(['kv', 'metadata', 'put', '-custom-metadata=novalue', 'secret/app'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /-custom-metadata/);
  });
});

describe('kv enable-versioning and list -mount', () => {
  test('enable-versioning tunes the mount with options.version=2', async () => {
    const r = await runCli(['kv', 'enable-versioning', 'kv1'], { env });
    assert.deepEqual([r.code, r.stdout], [0, 'Success! Tuned the secrets engine at: kv1/\n']);
    assert.deepEqual(
      [last().method, last().path, last().body],
      ['POST', 'sys/mounts/kv1/tune', { options: { version: '2' } }],
    );
    const missing = await runCli(['kv', 'enable-versioning'], { env });
    assert.deepEqual([missing.code, missing.stderr], [1, 'Not enough arguments (expected 1, got 0)\n']);
  });

  test('list with -mount and no path lists the top of the mount', async () => {
    assert.equal((await runCli(['kv', 'list', '-mount=secret'], { env })).stdout, 'Keys\n----\napp\n');
    assert.equal(`${last().method} ${last().path}`, 'LIST secret/metadata');
    assert.equal((await runCli(['kv', 'list', '-mount=kv1'], { env })).stdout, 'Keys\n----\none\n');
    assert.equal(`${last().method} ${last().path}`, 'LIST kv1');
  });
});
