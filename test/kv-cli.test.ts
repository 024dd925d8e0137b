/** `coffer kv` against a real server, on a KV v1 and a KV v2 mount: every subcommand, its output and its errors. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, runCli } from '../src/cli/testing.js';
import { registerCanary } from './helpers/canary.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
/** A value the CLI writes: the K1 sweep checks the server's output and audit log never show it. */
const SECRET = `s3cret-${randomBytes(6).toString('hex')}`;
registerCanary(SECRET, 'kv value written by the CLI');
let env: Record<string, string>;

/** Runs `coffer kv …`; `ok` asserts exit 0 and shows stderr when it is not. */
const kv = (args: string[], stdin?: string) => runCli(['kv', ...args], { env, stdin });
async function ok(args: string[], stdin?: string): Promise<CliResult> {
  const r = await kv(args, stdin);
  assert.equal(r.code, 0, `coffer kv ${args.join(' ')}: ${r.stderr}`);
  return r;
}
/** The command with `-format=json` right after its name (`get`, `metadata get`), parsed. */
async function json(args: string[]) {
  const words = args[0] === 'metadata' ? 2 : 1;
  return JSON.parse((await ok([...args.slice(0, words), '-format=json', ...args.slice(words)])).stdout);
}

before(async () => {
  server = await startTestServer({ storage: 'inmem' });
  env = { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken };
  for (const [path, version] of [
    ['kv1', '1'],
    ['kv2', '2'],
    ['legacy', '1'],
  ]) {
    const r = await runCli(['secrets', 'enable', `-path=${path}`, `-version=${version}`, 'kv'], { env });
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

const mounts = [
  { name: 'v1', mount: 'kv1', dataPath: 'kv1/app' },
  { name: 'v2', mount: 'kv2', dataPath: 'kv2/data/app' },
];

for (const m of mounts) {
  describe(`kv on a ${m.name} mount`, () => {
    test('put k=v, k=@file, @file.json and - (stdin); get -field and -format=json', async () => {
      const certFile = join(server.dir, `${m.name}-cert.pem`);
      const jsonFile = join(server.dir, `${m.name}-data.json`);
      await writeFile(certFile, '-----BEGIN CERT-----\n');
      await writeFile(jsonFile, '{"nested": {"n": 1}}');
      const put = await ok(['put', `${m.mount}/app`, 'user=alice', `cert=@${certFile}`, 'token=-'], SECRET);
      assert.match(
        put.stdout,
        m.name === 'v2' ? /^== Secret Path ==\nkv2\/data\/app\n/ : /^Success! Data written to: kv1\/app\n$/,
      );
      assert.equal((await ok(['get', '-field=token', `${m.mount}/app`])).stdout, SECRET);
      assert.equal(
        (await ok(['get', '-mount', m.mount, '-field=cert', 'app'])).stdout,
        '-----BEGIN CERT-----\n',
      );
      await ok(['put', `-mount=${m.mount}`, 'fromfile', `@${jsonFile}`]);
      await ok(['put', `${m.mount}/fromstdin`, '-'], '{"password": "p", "port": 5432}');
      const fromFile = await json(['get', `${m.mount}/fromfile`]);
      const fromStdin = await json(['get', `${m.mount}/fromstdin`]);
      const data = (body: { data: Record<string, unknown> }) =>
        m.name === 'v2' ? body.data.data : body.data;
      assert.deepEqual(data(fromFile), { nested: { n: 1 } });
      assert.deepEqual(data(fromStdin), { password: 'p', port: 5432 });
    });

    test('get -format=json has the envelope; table output has the data', async () => {
      const body = await json(['get', `${m.mount}/app`]);
      assert.equal(body.mount_type, 'kv');
      if (m.name === 'v2') {
        assert.equal(body.data.data.user, 'alice');
        assert.equal(body.data.metadata.version, 1);
      } else {
        assert.equal(body.data.user, 'alice');
      }
      const table = await ok(['get', `${m.mount}/app`]);
      assert.match(table.stdout, /\nuser {5}alice\n/);
    });

    test('list, with the path or with -mount', async () => {
      assert.equal((await ok(['list', `${m.mount}/`])).stdout, 'Keys\n----\napp\nfromfile\nfromstdin\n');
      assert.deepEqual(JSON.parse((await ok(['list', '-format=json', `-mount=${m.mount}`])).stdout), [
        'app',
        'fromfile',
        'fromstdin',
      ]);
    });

    test('errors: no data, a missing key, a put that names no key', async () => {
      const noData = await kv(['put', `${m.mount}/app`]);
      assert.deepEqual([noData.code, noData.stderr], [1, 'Must supply data\n']);
      const missing = await kv(['get', `${m.mount}/nothing`]);
      const missingPath = m.name === 'v2' ? 'kv2/data/nothing' : 'kv1/nothing';
      assert.deepEqual([missing.code, missing.stderr], [2, `No value found at ${missingPath}\n`]);
      const badPair = await kv(['put', `${m.mount}/app`, 'novalue']);
      assert.equal(badPair.code, 1);
      assert.match(badPair.stderr, /^Failed to parse K=V data: Invalid key\/value pair 'novalue'/);
    });

    test('delete removes the key (v1) or soft-deletes the latest version (v2)', async () => {
      await ok(['put', `${m.mount}/gone`, 'a=1']);
      const del = await ok(['delete', `${m.mount}/gone`]);
      const path = m.name === 'v2' ? 'kv2/data/gone' : 'kv1/gone';
      assert.equal(del.stdout, `Success! Data deleted (if it existed) at: ${path}\n`);
      const after = await kv(['get', '-format=json', `${m.mount}/gone`]);
      if (m.name === 'v1') {
        assert.equal(after.code, 2);
      } else {
        // Vault answers 404 with the version's metadata; the CLI prints it and exits 0.
        assert.equal(after.code, 0, after.stderr);
        const body = JSON.parse(after.stdout);
        assert.equal(body.data.data, null);
        assert.notEqual(body.data.metadata.deletion_time, '');
      }
    });
  });
}

describe('kv v2-only commands', () => {
  test('versions: -version, delete -versions, undelete, destroy', async () => {
    for (const v of ['1', '2', '3']) await ok(['put', 'kv2/multi', `v=${v}`]);
    assert.equal((await ok(['get', '-version=1', '-field=v', 'kv2/multi'])).stdout, '1');
    assert.equal((await ok(['get', '-version=0', '-field=v', 'kv2/multi'])).stdout, '3');
    await ok(['delete', '-versions=1,2', 'kv2/multi']);
    assert.notEqual((await json(['get', '-version=2', 'kv2/multi'])).data.metadata.deletion_time, '');
    const undelete = await ok(['undelete', '-versions=2', '-mount=kv2', 'multi']);
    assert.equal(undelete.stdout, 'Success! Data written to: kv2/undelete/multi\n');
    assert.equal((await ok(['get', '-version=2', '-field=v', 'kv2/multi'])).stdout, '2');
    await ok(['destroy', '-versions=3', 'kv2/multi']);
    const versions = (await json(['metadata', 'get', 'kv2/multi'])).data.versions;
    assert.notEqual(versions['1'].deletion_time, '');
    assert.equal(versions['2'].deletion_time, '');
    assert.equal(versions['3'].destroyed, true);
  });

  test('patch merges into the latest version; -remove-data drops a key; -cas must match', async () => {
    await ok(['put', 'kv2/patched', 'a=1', 'b=2']);
    const patched = await ok(['patch', 'kv2/patched', 'c=3']);
    assert.match(patched.stdout, /^== Secret Path ==\nkv2\/data\/patched\n/);
    await ok(['patch', '-remove-data=a', '-cas=2', 'kv2/patched']);
    assert.deepEqual((await json(['get', 'kv2/patched'])).data.data, { b: '2', c: '3' });
    await ok(['patch', '-method=rw', '-mount=kv2', 'patched', 'd=4']);
    assert.equal((await json(['get', 'kv2/patched'])).data.metadata.version, 4);
    const stale = await kv(['patch', '-cas=1', 'kv2/patched', 'e=5']);
    assert.equal(stale.code, 2);
    assert.match(
      stale.stderr,
      /Code: 400\. Errors:\n\n\* check-and-set parameter did not match the current version/,
    );
    const nothing = await kv(['patch', 'kv2/nothing', 'a=1']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /^Error writing data to kv2\/data\/nothing: .*Code: 404/s);
  });

  test("put -cas: 0 creates only; 0 on an existing key is refused with Vault's 400", async () => {
    await ok(['put', '-cas=0', 'kv2/cas', 'a=1']);
    const refused = await kv(['put', '-cas=0', 'kv2/cas', 'a=2']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^Error writing data to kv2\/data\/cas: Error making API request\.\n\nURL: PUT /,
    );
    assert.match(
      refused.stderr,
      /Code: 400\. Errors:\n\n\* check-and-set parameter did not match the current version\n$/,
    );
    await ok(['put', '-cas=1', 'kv2/cas', 'a=2']);
  });

  test('rollback writes an old version as the newest; refuses deleted, 0 and negative versions', async () => {
    for (const v of ['one', 'two', 'three']) await ok(['put', 'kv2/rb', `v=${v}`]);
    const rolled = await ok(['rollback', '-version=1', 'kv2/rb']);
    assert.match(rolled.stdout, /\nversion {12}4\n/);
    assert.equal((await ok(['get', '-field=v', 'kv2/rb'])).stdout, 'one');
    await ok(['rollback', '-mount=kv2', '-version=2', 'rb']);
    assert.equal((await ok(['get', '-field=v', 'kv2/rb'])).stdout, 'two');
    await ok(['delete', '-versions=3', 'kv2/rb']);
    const cases = [
      { args: ['-version=3'], code: 2, stderr: 'Cannot roll back to a version that has been deleted\n' },
      { args: ['-version=0'], code: 1, stderr: 'Invalid value 0 for the version flag\n' },
      { args: ['-version=-1'], code: 1, stderr: 'Invalid value -1 for the version flag\n' },
      { args: ['-version=99'], code: 2, stderr: 'No value found at kv2/data/rb\n' },
      { args: [], code: 1, stderr: 'Version flag must be specified\n' },
    ];
    for (const c of cases) {
      const r = await kv(['rollback', ...c.args, 'kv2/rb']);
      assert.deepEqual([r.code, r.stderr, r.stdout], [c.code, c.stderr, ''], c.args.join(' '));
    }
    assert.equal(
      (await json(['metadata', 'get', 'kv2/rb'])).data.current_version,
      5,
      'refusals wrote nothing',
    );
  });

  test('metadata put, patch, get and delete', async () => {
    await ok(['put', 'kv2/meta', 'a=1']);
    const put = await ok([
      'metadata',
      'put',
      '-max-versions=3',
      '-cas-required',
      '-delete-version-after=3h25m19s',
      '-custom-metadata=owner=ops',
      '-custom-metadata=env=dev',
      'kv2/meta',
    ]);
    assert.equal(put.stdout, 'Success! Data written to: kv2/metadata/meta\n');
    await ok([
      'metadata',
      'patch',
      '-mount=kv2',
      '-custom-metadata=team=a',
      '-remove-custom-metadata=env',
      'meta',
    ]);
    await ok(['metadata', 'put', '-max-versions=4', 'kv2/meta']);
    const meta = (await json(['metadata', 'get', 'kv2/meta'])).data;
    assert.deepEqual(
      [meta.max_versions, meta.cas_required, meta.delete_version_after, meta.custom_metadata],
      [4, true, '3h25m19s', { owner: 'ops', team: 'a' }],
      'a put without a flag keeps that setting',
    );
    const table = await ok(['metadata', 'get', 'kv2/meta']);
    assert.match(table.stdout, /^= Metadata Path =\nkv2\/metadata\/meta\n\n/);
    assert.match(table.stdout, /\n====== Version 1 ======\n/);
    const needsCas = await kv(['put', 'kv2/meta', 'a=2']);
    assert.equal(needsCas.code, 2);
    assert.match(needsCas.stderr, /check-and-set parameter required for this call/);
    await ok(['metadata', 'put', '-cas-required=false', 'kv2/meta']);
    await ok(['put', 'kv2/meta', 'a=2']);
    const missing = await kv(['metadata', 'patch', '-max-versions=1', 'kv2/nometa']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Code: 404/);
    const del = await ok(['metadata', 'delete', 'kv2/meta']);
    assert.equal(del.stdout, 'Success! Data deleted (if it existed) at: kv2/metadata/meta\n');
    const gone = await kv(['metadata', 'get', 'kv2/meta']);
    assert.deepEqual([gone.code, gone.stderr], [2, 'No value found at kv2/metadata/meta\n']);
  });

  test('on a v1 mount: patch and rollback exit 2, undelete/destroy/metadata exit 1', async () => {
    const cases = [
      {
        args: ['patch', 'kv1/app', 'a=1'],
        code: 2,
        stderr: 'KV engine mount must be version 2 for patch support',
      },
      {
        args: ['rollback', '-version=1', 'kv1/app'],
        code: 2,
        stderr: 'KV engine mount must be version 2 for rollback support',
      },
      {
        args: ['undelete', '-versions=1', 'kv1/app'],
        code: 1,
        stderr: 'Undelete not supported on KV Version 1',
      },
      {
        args: ['destroy', '-versions=1', 'kv1/app'],
        code: 1,
        stderr: 'Destroy not supported on KV Version 1',
      },
      { args: ['metadata', 'get', 'kv1/app'], code: 1, stderr: 'Metadata not supported on KV Version 1' },
      { args: ['metadata', 'put', 'kv1/app'], code: 1, stderr: 'Metadata not supported on KV Version 1' },
    ];
    for (const c of cases) {
      const r = await kv(c.args);
      assert.deepEqual([r.code, r.stderr], [c.code, `${c.stderr}\n`], c.args.join(' '));
    }
  });

  test('enable-versioning upgrades a v1 mount in place: every key becomes version 1', async () => {
    await ok(['put', 'legacy/one', 'a=1']);
    await ok(['put', 'legacy/dir/two', 'b=2']);
    const r = await ok(['enable-versioning', 'legacy']);
    assert.equal(r.stdout, 'Success! Tuned the secrets engine at: legacy/\n');
    const one = await json(['get', 'legacy/one']);
    assert.deepEqual([one.data.data, one.data.metadata.version], [{ a: '1' }, 1]);
    assert.equal((await ok(['get', '-field=b', 'legacy/dir/two'])).stdout, '2');
    assert.equal((await ok(['list', 'legacy/dir'])).stdout, 'Keys\n----\ntwo\n');
    await ok(['put', 'legacy/one', 'a=2']);
    assert.equal((await json(['get', 'legacy/one'])).data.metadata.version, 2);
    const unknown = await kv(['enable-versioning', 'nosuchmount']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^Error tuning secrets engine nosuchmount\/: /);
  });
});
