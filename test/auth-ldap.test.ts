/**
 * The ldap auth method against a real server and a real OpenLDAP slapd (started here on a free port;
 * the test fails, not skips, when slapd is not installed): login through the coffer CLI, group
 * policies on KV, SECURITY.md A1 (one answer for every failure), A2 (empty passwords, filter and DN
 * injection), A3 (lockout across name variants), renewal after the directory or the policies change,
 * and a config read without bindpass. The K1 sweep watches the passwords and bindpass (CANARY values).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GROUPS, PEOPLE, startSlapd, type TestDirectory } from '../src/auth/ldap/testing.js';
import { runCli } from '../src/cli/testing.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const POLICY = 'path "secret/data/allowed" {\n  capabilities = ["read"]\n}\n';
const BIND_FAILED = '{"errors":["ldap operation failed: failed to bind as user"]}';
const pw = (name: string) => `CANARY_${name}_${randomBytes(6).toString('hex')}`;
const PASSWORDS = {
  alice: pw('alice'),
  bob: pw('bob'),
  carol: pw('carol'),
  dave: pw('dave'),
  erin: pw('erin'),
  leaving: pw('leaving'),
};

let server: TestServer;
let directory: TestDirectory;
let root: string;

before(async () => {
  directory = await startSlapd({ rootPassword: pw('bindpass') });
  for (const [uid, password] of Object.entries(PASSWORDS)) await directory.addUser(uid, password);
  await directory.addGroup('dev', ['alice', 'bob', 'leaving']);
  await directory.addGroup('qa', ['erin']);
  await directory.addGroup('ops', []);
  server = await startTestServer({ storage: 'sqlite' });
  root = server.rootToken;
  const setup: [string, string, unknown][] = [
    ['POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }],
    ['POST', 'secret/data/allowed', { data: { color: 'green' } }],
    ['POST', 'secret/data/forbidden', { data: { color: 'red' } }],
    ['PUT', 'sys/policies/acl/app', { policy: POLICY }],
    ['POST', 'sys/auth/ldap', { type: 'ldap' }],
    [
      'POST',
      'auth/ldap/config',
      {
        url: directory.url,
        binddn: directory.rootDn,
        bindpass: directory.rootPassword,
        userdn: PEOPLE,
        userattr: 'uid',
        groupdn: GROUPS,
        groupfilter: '(&(objectClass=groupOfNames)(member={{.UserDN}}))',
      },
    ],
    ['POST', 'auth/ldap/groups/dev', { policies: 'app' }],
    ['POST', 'auth/ldap/groups/qa', { policies: 'qa' }],
  ];
  for (const [method, path, body] of setup) {
    const res = await server.api(method, path, body, root);
    assert.ok(res.status < 300, `${path}: ${res.text}`);
  }
});
after(async () => {
  await server?.stop();
  if (server) await removeServerDir(server);
  await directory?.stop();
});

function ldapLogin(username: string, password: string) {
  return server.api('POST', `auth/ldap/login/${encodeURIComponent(username)}`, { password });
}

describe('ldap login', () => {
  test('coffer login -method=ldap: the token reads what its group policy allows, 403 elsewhere', async () => {
    const result = await runCli(
      ['login', '-token-only', '-method=ldap', 'username=alice', `password=${PASSWORDS.alice}`],
      { env: { VAULT_ADDR: server.address } },
    );
    assert.equal(result.code, 0, result.stderr);
    const token = result.stdout.trim();
    const allowed = await server.api('GET', 'secret/data/allowed', undefined, token);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((await server.api('GET', 'secret/data/forbidden', undefined, token)).status, 403);
    const self = await server.api('GET', 'auth/token/lookup-self', undefined, token);
    assert.equal(self.body.data.display_name, 'ldap-alice');
    assert.deepEqual(self.body.data.meta, { username: 'alice' });
    assert.deepEqual(self.body.data.policies, ['app', 'default']);
  });

  test('config read: no bindpass, and the password appears nowhere in it', async () => {
    const res = await server.api('GET', 'auth/ldap/config', undefined, root);
    assert.equal(res.status, 200, res.text);
    assert.equal('bindpass' in res.body.data, false);
    assert.equal(res.text.includes(directory.rootPassword), false);
    assert.equal(res.body.data.binddn, directory.rootDn);
  });

  test('A1/A2: wrong password, unknown user, injections and an empty name answer the same 400, byte for byte', async () => {
    const attempts = [
      ['bob', 'wrong password'],
      ['nobody-here', PASSWORDS.bob],
      ['*', PASSWORDS.bob],
      ['*)(uid=*))(|(uid=*', PASSWORDS.bob],
      ['bob)(uid=*', PASSWORDS.bob],
      ['bob,ou=people', PASSWORDS.bob],
      ['a,b=c', 'x'],
      ['#x', 'x'],
      ['', PASSWORDS.bob],
      ['u'.repeat(10 * 1024), PASSWORDS.bob],
    ];
    for (const [username, password] of attempts) {
      const res = await ldapLogin(username, password);
      assert.equal(res.status, 400, username.slice(0, 40));
      assert.equal(res.text.trim(), BIND_FAILED, username.slice(0, 40));
      assert.equal(res.body.auth, undefined);
    }
    assert.match(directory.log(), /filter="\(uid=\\2A\\29\\28uid=\\2A\\29\\29\\28\|\\28uid=\\2A\)"/i);
  });

  test('A2: an empty or missing password is refused (deny_null_bind), though this slapd allows unauthenticated binds', async () => {
    for (const body of [{ password: '' }, {}]) {
      const res = await server.api('POST', 'auth/ldap/login/bob', body);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.errors, [
        'password cannot be of zero length when passwordless binds are being denied',
      ]);
    }
  });

  test('a group membership change shows at the next login', async () => {
    const before = await ldapLogin('carol', PASSWORDS.carol);
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(before.body.auth.policies, ['default']);
    await directory.addMember('dev', 'carol');
    const after = await ldapLogin('carol', PASSWORDS.carol);
    assert.deepEqual(after.body.auth.policies, ['app', 'default']);
  });
});

describe('ldap lockout (A3)', () => {
  test('case and space variants share one counter; the 6th attempt is locked even with the right password', async () => {
    for (const variant of ['Dave', 'dave', ' dave ', 'DAVE', 'dAvE']) {
      const res = await ldapLogin(variant, 'wrong');
      assert.equal(res.text.trim(), BIND_FAILED, variant);
    }
    const sixth = await ldapLogin('dave', PASSWORDS.dave);
    assert.equal(sixth.status, 400);
    assert.equal(sixth.text.trim(), BIND_FAILED);
    const locked = await server.api('GET', 'sys/locked-users', undefined, root);
    const mounts = locked.body.data.by_namespace[0].mount_accessors;
    assert.deepEqual(mounts[0].alias_identifiers, ['dave']);
    const unlock = await server.api(
      'POST',
      `sys/locked-users/${mounts[0].mount_accessor}/unlock/DAVE`,
      undefined,
      root,
    );
    assert.equal(unlock.status, 204, unlock.text);
    assert.equal((await ldapLogin('dave', PASSWORDS.dave)).status, 200);
  });
});

describe('ldap renewal', () => {
  test('refused once the user is removed from the directory', async () => {
    const login = await ldapLogin('leaving', PASSWORDS.leaving);
    assert.equal(login.status, 200, login.text);
    const token = login.body.auth.client_token;
    assert.equal((await server.api('POST', 'auth/token/renew-self', {}, token)).status, 200);
    await directory.deleteUser('leaving');
    const refused = await server.api('POST', 'auth/token/renew-self', {}, token);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.text.trim(), BIND_FAILED);
  });

  test("refused once the user's policies changed", async () => {
    const login = await ldapLogin('erin', PASSWORDS.erin);
    assert.deepEqual(login.body.auth.policies, ['default', 'qa']);
    const token = login.body.auth.client_token;
    assert.equal((await server.api('POST', 'auth/token/renew-self', {}, token)).status, 200);
    await server.api('POST', 'auth/ldap/groups/qa', { policies: 'qa,app' }, root);
    const refused = await server.api('POST', 'auth/token/renew-self', {}, token);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.errors, ['policies have changed, not renewing']);
  });
});
