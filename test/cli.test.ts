/** The `coffer` CLI against a real server: operator init/unseal/seal, status exit codes, read/write/list/delete, tokens and policies. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../src/cli/testing.js';
import { registerCanary } from './helpers/canary.js';
import { enableSweepAudit, removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

describe('coffer CLI', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ storage: 'inmem', uninitialized: true });
    env = { VAULT_ADDR: server.address };
  });
  after(async () => {
    await server.stop();
    await removeServerDir(server);
  });

  test('init, status while sealed, unseal, status, seal', async () => {
    const init = await runCli(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json'], {
      env,
    });
    assert.equal(init.code, 0, init.stderr);
    const keys = JSON.parse(init.stdout);
    assert.equal(keys.unseal_keys_b64.length, 3);
    const root = keys.root_token;
    // The CLI talks to the server without the helper's api(): tell the K1 sweep what is secret.
    for (const secret of [root, ...keys.unseal_keys_b64, ...keys.unseal_keys_hex])
      registerCanary(secret, 'init');
    const sealed = await runCli(['status'], { env });
    assert.equal(sealed.code, 2);
    assert.match(sealed.stdout, /Sealed\s+true/);
    assert.equal((await runCli(['operator', 'unseal', keys.unseal_keys_b64[0]], { env })).code, 0);
    const done = await runCli(['operator', 'unseal', keys.unseal_keys_hex[1]], { env });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Sealed\s+false/);
    const status = await runCli(['status'], { env });
    assert.equal(status.code, 0);
    env = { ...env, VAULT_TOKEN: root };
    await enableSweepAudit(server, root);
    assert.equal((await runCli(['operator', 'rotate'], { env })).code, 0);
    const viaStdin = await runCli(['operator', 'unseal'], { env, stdin: `${keys.unseal_keys_b64[0]}\n` });
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
  });

  test('write, read with -field and -format=json, list, delete', async () => {
    assert.equal((await runCli(['secrets', 'enable', '-path=kv1', '-version=1', 'kv'], { env })).code, 0);
    const password = `s3cret-${randomBytes(6).toString('hex')}`;
    registerCanary(password, 'kv1 password');
    const write = await runCli(['write', 'kv1/app', 'user=alice', 'password=-'], { env, stdin: password });
    assert.equal(write.code, 0, write.stderr);
    const field = await runCli(['read', '-field=password', 'kv1/app'], { env });
    assert.equal(field.stdout.trim(), password);
    const json = JSON.parse((await runCli(['read', '-format=json', 'kv1/app'], { env })).stdout);
    assert.equal(json.data.user, 'alice');
    const list = await runCli(['list', 'kv1/'], { env });
    assert.match(list.stdout, /app/);
    assert.equal((await runCli(['delete', 'kv1/app'], { env })).code, 0);
    const missing = await runCli(['read', 'kv1/app'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr + missing.stdout, /No value found at kv1\/app/);
  });

  test('policy write and token create; the token is limited by its policy', async () => {
    const file = join(server.dir, 'reader.hcl');
    await writeFile(file, 'path "kv1/*" {\n  capabilities = ["read", "list"]\n}\n');
    assert.equal((await runCli(['policy', 'write', 'reader', file], { env })).code, 0);
    assert.match((await runCli(['policy', 'list'], { env })).stdout, /reader/);
    const created = await runCli(['token', 'create', '-policy=reader', '-ttl=1h', '-format=json'], { env });
    assert.equal(created.code, 0, created.stderr);
    const token = JSON.parse(created.stdout).auth.client_token;
    registerCanary(token, 'created token');
    const limited = { ...env, VAULT_TOKEN: token };
    await runCli(['write', 'kv1/ok', 'a=b'], { env });
    assert.equal((await runCli(['read', 'kv1/ok'], { env: limited })).code, 0);
    const denied = await runCli(['write', 'kv1/ok', 'a=c'], { env: limited });
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /permission denied/);
    const caps = await runCli(['token', 'capabilities', token, 'kv1/ok'], { env });
    assert.match(caps.stdout, /list, read|read, list/);
  });

  test('errors are one clear line and a non-zero exit', async () => {
    const bad = await runCli(['write', 'sys/mounts/x', 'type=nope'], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Error/);
    const noServer = await runCli(['status'], { env: { VAULT_ADDR: 'http://127.0.0.1:1' } });
    assert.equal(noServer.code, 1);
  });
});
