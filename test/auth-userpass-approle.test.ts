/**
 * userpass and approle against a real server: logins through the coffer CLI and node-vault, the
 * tokens' policies on KV, and the attacks of SECURITY.md A1 (enumeration), A3 (normalisation,
 * lockout across a restart) and A6 (AppRole cross-role destroy, use-count race, CIDRs, role case).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodeVault from 'node-vault';
import { runCli } from '../src/cli/testing.js';
import { removeServerDir, restartOnSameStorage, startTestServer, type TestServer } from './helpers/server.js';

const POLICY = 'path "secret/data/allowed" {\n  capabilities = ["read"]\n}\n';
const INVALID_USER = '{"errors":["invalid username or password"]}';

let server: TestServer;
let root: string;

before(async () => {
  server = await startTestServer({ storage: 'sqlite' });
  root = server.rootToken;
  const setup: [string, string, unknown][] = [
    ['POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }],
    ['POST', 'secret/data/allowed', { data: { color: 'green' } }],
    ['POST', 'secret/data/forbidden', { data: { color: 'red' } }],
    ['PUT', 'sys/policies/acl/app', { policy: POLICY }],
    ['POST', 'sys/auth/userpass', { type: 'userpass' }],
    ['POST', 'sys/auth/approle', { type: 'approle' }],
    ['POST', 'auth/userpass/users/Alice', { password: 'correct horse', token_policies: 'app' }],
  ];
  for (const [method, path, body] of setup) {
    const res = await server.api(method, path, body, root);
    assert.ok(res.status < 300, `${path}: ${res.text}`);
  }
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

/** The token can read what its policy allows and gets 403 elsewhere. */
async function assertPolicyScope(token: string) {
  const allowed = await server.api('GET', 'secret/data/allowed', undefined, token);
  assert.equal(allowed.status, 200, allowed.text);
  assert.equal(allowed.body.data.data.color, 'green');
  assert.equal((await server.api('GET', 'secret/data/forbidden', undefined, token)).status, 403);
}

async function cliLogin(args: string[]): Promise<string> {
  const result = await runCli(['login', '-token-only', ...args], { env: { VAULT_ADDR: server.address } });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function createRole(name: string, body: Record<string, unknown> = {}) {
  const res = await server.api('POST', `auth/approle/role/${name}`, { token_policies: 'app', ...body }, root);
  assert.equal(res.status, 204, res.text);
  const roleId = (await server.api('GET', `auth/approle/role/${name}/role-id`, undefined, root)).body.data
    .role_id;
  return roleId as string;
}

async function issueSecret(role: string, body: Record<string, unknown> = {}) {
  const res = await server.api('POST', `auth/approle/role/${role}/secret-id`, body, root);
  assert.equal(res.status, 200, res.text);
  return res.body.data as { secret_id: string; secret_id_accessor: string };
}

function approleLogin(roleId: string, secretId: string) {
  return server.api('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
}

describe('userpass', () => {
  test('coffer login -method=userpass: the token reads what its policy allows, 403 elsewhere', async () => {
    const token = await cliLogin(['-method=userpass', 'username=ALICE', 'password=correct horse']);
    await assertPolicyScope(token);
    const self = await server.api('GET', 'auth/token/lookup-self', undefined, token);
    assert.equal(self.body.data.display_name, 'userpass-alice');
    assert.deepEqual(self.body.data.meta, { username: 'alice' });
  });

  test('node-vault userpassLogin', async () => {
    const vault = nodeVault({ endpoint: server.address, apiVersion: 'v1' });
    const result = await vault.userpassLogin({ username: 'alice', password: 'correct horse' });
    assert.deepEqual(result.auth.policies, ['app', 'default']);
    assert.equal(vault.token, result.auth.client_token);
    assert.equal((await vault.read('secret/data/allowed')).data.data.color, 'green');
    await assert.rejects(
      vault.read('secret/data/forbidden'),
      (error: { response?: { statusCode?: number } }) => {
        assert.equal(error.response?.statusCode, 403);
        return true;
      },
    );
  });

  test("a deleted user's token is not renewed", async () => {
    await server.api(
      'POST',
      'auth/userpass/users/leaving',
      { password: 'pw pw pw', token_policies: 'app' },
      root,
    );
    const login = await server.api('POST', 'auth/userpass/login/leaving', { password: 'pw pw pw' });
    assert.equal(login.status, 200, login.text);
    const token = login.body.auth.client_token;
    assert.equal((await server.api('POST', 'auth/token/renew-self', {}, token)).status, 200);
    await server.api('DELETE', 'auth/userpass/users/leaving', undefined, root);
    const refused = await server.api('POST', 'auth/token/renew-self', {}, token);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.errors, ['user "leaving" does not exist during renewal']);
  });

  test('A1: wrong password, unknown user, empty and 10 KB usernames answer the same 400, byte for byte', async () => {
    await server.api('POST', 'auth/userpass/users/enum-target', { password: 'right' }, root);
    const paths = [
      'auth/userpass/login/enum-target',
      'auth/userpass/login/nobody-here',
      'auth/userpass/login/',
      `auth/userpass/login/${'u'.repeat(10 * 1024)}`,
    ];
    for (const path of paths) {
      const res = await server.api('POST', path, { password: 'wrong' });
      assert.equal(res.status, 400, path.slice(0, 40));
      assert.equal(res.text.trim(), INVALID_USER, path.slice(0, 40));
    }
  });

  test('A3: case and space variants share one lockout counter; the 6th attempt is locked, and survives a restart', async () => {
    await server.api(
      'POST',
      'auth/userpass/users/carol',
      { password: 'carols pw', token_policies: 'app' },
      root,
    );
    for (const variant of ['Carol', 'carol', ' carol ', 'CAROL', 'cArOl']) {
      const res = await server.api('POST', `auth/userpass/login/${encodeURIComponent(variant)}`, {
        password: 'no',
      });
      assert.equal(res.text.trim(), INVALID_USER);
    }
    const sixth = await server.api('POST', 'auth/userpass/login/carol', { password: 'carols pw' });
    assert.equal(sixth.status, 400);
    assert.equal(sixth.text.trim(), INVALID_USER);
    const locked = await server.api('GET', 'sys/locked-users', undefined, root);
    const mounts = locked.body.data.by_namespace[0].mount_accessors;
    assert.deepEqual(mounts[0].alias_identifiers, ['carol']);
    const accessor: string = mounts[0].mount_accessor;

    await server.stop();
    server = await restartOnSameStorage(server);
    await server.unseal();
    const afterRestart = await server.api('POST', 'auth/userpass/login/carol', { password: 'carols pw' });
    assert.equal(afterRestart.status, 400, 'still locked after the restart');
    const unlock = await server.api('POST', `sys/locked-users/${accessor}/unlock/Carol`, undefined, root);
    assert.equal(unlock.status, 204, unlock.text);
    const unlocked = await server.api('POST', 'auth/userpass/login/carol', { password: 'carols pw' });
    assert.equal(unlocked.status, 200, unlocked.text);
  });
});

describe('userpass lockout tuning (sys/auth/:path/tune user_lockout_config)', () => {
  test('a tuned threshold locks on the 2nd failure, tune reads it back, disabling stops counting', async () => {
    await server.api('POST', 'sys/auth/tuned', { type: 'userpass' }, root);
    await server.api('POST', 'auth/tuned/users/dave', { password: 'daves pw' }, root);
    const tune = await server.api(
      'POST',
      'sys/auth/tuned/tune',
      { user_lockout_config: { lockout_threshold: '2', lockout_duration: '1h' } },
      root,
    );
    assert.equal(tune.status, 204, tune.text);
    const read = await server.api('GET', 'sys/auth/tuned/tune', undefined, root);
    assert.equal(read.body.data.user_lockout_threshold, 2);
    assert.equal(read.body.data.user_lockout_duration, 3600);
    assert.equal(read.body.data.user_lockout_counter_reset_duration, 0, 'unset: the server default');
    assert.equal(read.body.data.user_lockout_disable, false);
    const listed = await server.api('GET', 'sys/auth', undefined, root);
    assert.equal(listed.body.data['tuned/'].config.user_lockout_config.user_lockout_threshold, 2);

    for (let i = 0; i < 2; i++) await server.api('POST', 'auth/tuned/login/dave', { password: 'no' });
    const locked = await server.api('POST', 'auth/tuned/login/dave', { password: 'daves pw' });
    assert.equal(locked.status, 400, 'locked after 2 failures, not the default 5');

    // Disabled: the lock no longer applies and failures are not counted.
    await server.api('POST', 'sys/auth/tuned/tune', { user_lockout_config: { lockout_disable: true } }, root);
    for (let i = 0; i < 3; i++) await server.api('POST', 'auth/tuned/login/dave', { password: 'no' });
    const open = await server.api('POST', 'auth/tuned/login/dave', { password: 'daves pw' });
    assert.equal(open.status, 200, open.text);
    const none = await server.api('GET', 'sys/locked-users', undefined, root);
    assert.ok(!JSON.stringify(none.body).includes('dave'), none.text);
  });

  test('refused on a method that does not lock users out, and for a malformed threshold', async () => {
    const kv = await server.api(
      'POST',
      'sys/mounts/secret/tune',
      { user_lockout_config: { lockout_threshold: '3' } },
      root,
    );
    assert.equal(kv.status, 400);
    assert.match(kv.text, /tuning of user lockout configuration for auth type \\"kv\\" not allowed/);
    const bad = await server.api(
      'POST',
      'sys/auth/userpass/tune',
      { user_lockout_config: { lockout_threshold: 'many' } },
      root,
    );
    assert.equal(bad.status, 400);
    assert.match(bad.text, /unable to parse user lockout threshold/);
    const read = await server.api('GET', 'sys/auth/userpass/tune', undefined, root);
    assert.equal(read.body.data.user_lockout_threshold, undefined, 'nothing was stored');
  });
});

/**
 * On a server of its own started with `options`: a userpass user `name`, `failures` wrong logins,
 * then the status of a login with the right password.
 */
async function loginAfterFailures(
  options: Parameters<typeof startTestServer>[0],
  name: string,
  failures: number,
): Promise<{ status: number; text: string }> {
  const other = await startTestServer({ storage: 'inmem', ...options });
  try {
    const token = other.rootToken;
    await other.api('POST', 'sys/auth/userpass', { type: 'userpass' }, token);
    await other.api('POST', `auth/userpass/users/${name}`, { password: `${name}s pw` }, token);
    for (let i = 0; i < failures; i++)
      await other.api('POST', `auth/userpass/login/${name}`, { password: 'no' });
    return await other.api('POST', `auth/userpass/login/${name}`, { password: `${name}s pw` });
  } finally {
    await other.stop();
    await removeServerDir(other);
  }
}

describe('server-wide lockout settings', () => {
  test('a user_lockout "userpass" block sets the threshold every userpass mount starts from', async () => {
    const extraConfig = 'user_lockout "userpass" {\n  lockout_threshold = 2\n  lockout_duration = "1h"\n}\n';
    const locked = await loginAfterFailures({ extraConfig }, 'fay', 2);
    assert.equal(locked.status, 400, 'locked after 2 failures, not the default 5');
  });

  test('VAULT_DISABLE_USER_LOCKOUT=true: no failure is counted, the right password works after six wrong ones', async () => {
    const res = await loginAfterFailures({ env: { VAULT_DISABLE_USER_LOCKOUT: 'true' } }, 'erin', 6);
    assert.equal(res.status, 200, res.text);
  });
});

describe('approle', () => {
  test('coffer login -method=approle: the token reads what its policy allows, 403 elsewhere', async () => {
    const roleId = await createRole('cli-app');
    const { secret_id } = await issueSecret('cli-app');
    const token = await cliLogin(['-method=approle', `role_id=${roleId}`, `secret_id=${secret_id}`]);
    await assertPolicyScope(token);
  });

  test('node-vault approleLogin', async () => {
    const roleId = await createRole('node-app');
    const { secret_id } = await issueSecret('node-app');
    const vault = nodeVault({ endpoint: server.address, apiVersion: 'v1' });
    const result = await vault.approleLogin({ role_id: roleId, secret_id });
    assert.deepEqual(result.auth.metadata, { role_name: 'node-app' });
    assert.equal((await vault.read('secret/data/allowed')).data.data.color, 'green');
    await assert.rejects(vault.read('secret/data/forbidden'));
  });

  test('user lockout on the role ID: five wrong secret IDs lock it; a locked login spends no use; unlock', async () => {
    const roleId = await createRole('locked-out');
    const { secret_id } = await issueSecret('locked-out', { num_uses: 1 });
    for (let i = 0; i < 5; i++) assert.equal((await approleLogin(roleId, `wrong-${i}`)).status, 400);
    const locked = await approleLogin(roleId, secret_id);
    assert.equal(locked.status, 400, 'locked: the right secret ID is refused too');
    assert.deepEqual(locked.body.errors, ['invalid role or secret ID']);
    const listed = await server.api('GET', 'sys/locked-users', undefined, root);
    const mount = listed.body.data.by_namespace[0].mount_accessors.find(
      (m: { alias_identifiers: string[] }) => m.alias_identifiers.includes(roleId),
    );
    assert.ok(mount, listed.text);
    const unlock = await server.api(
      'POST',
      `sys/locked-users/${mount.mount_accessor}/unlock/${roleId}`,
      undefined,
      root,
    );
    assert.equal(unlock.status, 204, unlock.text);
    // The locked attempt did not spend the secret ID's one use.
    assert.equal((await approleLogin(roleId, secret_id)).status, 200);
  });

  test('renewal follows the role: a deleted role refuses it, a shorter max TTL and a dropped period apply', async () => {
    const renew = (token: string) => server.api('POST', 'auth/token/renew-self', { increment: '1h' }, token);
    const roleId = await createRole('renewed', { token_period: '1h' });
    const login = async () => {
      const res = await approleLogin(roleId, (await issueSecret('renewed')).secret_id);
      assert.equal(res.status, 200, res.text);
      return res.body.auth.client_token as string;
    };
    const first = await login();
    assert.equal((await renew(first)).body.auth.lease_duration, 3600);
    // Tightened: no period any more, at most 5 minutes.
    await createRole('renewed', { token_period: 0, token_max_ttl: '5m' });
    const tightened = await renew(first);
    assert.equal(tightened.status, 200, tightened.text);
    assert.ok(
      tightened.body.auth.lease_duration <= 300,
      `renewed for ${tightened.body.auth.lease_duration}s`,
    );
    const second = await login();
    assert.equal((await server.api('DELETE', 'auth/approle/role/renewed', undefined, root)).status, 204);
    const refused = await renew(second);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(refused.body.errors, ['role "renewed" does not exist during renewal']);
  });

  test("A6: role A's accessor destroy of role B's secret ID is refused, and B's secret still works", async () => {
    await createRole('role-a');
    const roleB = await createRole('role-b');
    const secretB = await issueSecret('role-b');
    const refused = await server.api(
      'POST',
      'auth/approle/role/role-a/secret-id-accessor/destroy',
      { secret_id_accessor: secretB.secret_id_accessor },
      root,
    );
    assert.ok(refused.status >= 400 && refused.status < 500, refused.text);
    assert.equal((await approleLogin(roleB, secretB.secret_id)).status, 200);
  });

  test('A6: a 1-use secret ID from 10 concurrent logins succeeds exactly once', async () => {
    const roleId = await createRole('one-use');
    const { secret_id } = await issueSecret('one-use', { num_uses: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => approleLogin(roleId, secret_id)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
  });

  test("A6: a login from outside secret_id_bound_cidrs is refused with Vault's 400", async () => {
    const roleId = await createRole('fenced', { secret_id_bound_cidrs: '10.0.0.0/8' });
    const { secret_id } = await issueSecret('fenced');
    const res = await approleLogin(roleId, secret_id);
    assert.equal(res.status, 400, res.text);
    assert.match(res.body.errors[0], /^source address ".+" unauthorized by CIDR restrictions on the role$/);
    assert.equal(res.text.includes(secret_id), false);
  });

  test('A6: role names are case-insensitive', async () => {
    const roleId = await createRole('MixedCase');
    const { secret_id } = await issueSecret('MIXEDCASE');
    assert.equal(
      (await server.api('GET', 'auth/approle/role/mixedcase/role-id', undefined, root)).body.data.role_id,
      roleId,
    );
    const listed = await server.api('LIST', 'auth/approle/role', undefined, root);
    assert.ok(listed.body.data.keys.includes('mixedcase'));
    const login = await approleLogin(roleId, secret_id);
    assert.equal(login.body.auth.metadata.role_name, 'mixedcase');
  });

  test("one-setting endpoints and missing roles on the wire: Vault's statuses and bodies", async () => {
    await createRole('fields', { token_ttl: 1200 });
    const setting = (method: string, role: string, body?: object) =>
      server.api(method, `auth/approle/role/${role}/token-ttl`, body, root);
    assert.deepEqual((await setting('GET', 'fields')).body.data, { token_ttl: 1200 });
    assert.equal((await setting('POST', 'fields', { token_ttl: '30m' })).status, 204);
    assert.deepEqual((await setting('GET', 'fields')).body.data, { token_ttl: 1800 });
    assert.equal((await setting('DELETE', 'fields')).status, 204);
    assert.deepEqual((await setting('GET', 'fields')).body.data, { token_ttl: 0 });
    const answers = [
      [await setting('GET', 'nope'), 404, []],
      [await setting('POST', 'nope', { token_ttl: 60 }), 404, ['unsupported path']],
      [
        await server.api('POST', 'auth/approle/role/nope/secret-id', {}, root),
        404,
        ['role "nope" does not exist'],
      ],
      [
        await server.api('POST', 'auth/approle/role/nope/secret-id/lookup', { secret_id: 'x' }, root),
        500,
        ['role "nope" does not exist'],
      ],
    ] as const;
    for (const [res, status, errors] of answers) {
      assert.equal(res.status, status, res.text);
      assert.deepEqual(res.body.errors, errors);
    }
    assert.equal((await setting('DELETE', 'nope')).status, 204);
    const custom = () =>
      server.api('POST', 'auth/approle/role/fields/custom-secret-id', { secret_id: 'twice' }, root);
    assert.equal((await custom()).status, 200);
    const again = await custom();
    assert.equal(again.status, 500, again.text);
    assert.deepEqual(again.body.errors, ['failed to store secret_id: SecretID is already registered']);
  });

  test('a response-wrapped secret ID is unwrapped, then logs in', async () => {
    const roleId = await createRole('wrapped');
    const wrapped = await server.api('POST', 'auth/approle/role/wrapped/secret-id', {}, root, {
      'X-Vault-Wrap-TTL': '60s',
    });
    assert.equal(wrapped.status, 200, wrapped.text);
    assert.equal(wrapped.body.data, null);
    const wrappingToken: string = wrapped.body.wrap_info.token;
    const unwrapped = await server.api('POST', 'sys/wrapping/unwrap', undefined, wrappingToken);
    assert.equal(unwrapped.status, 200, unwrapped.text);
    const secretId: string = unwrapped.body.data.secret_id;
    const login = await approleLogin(roleId, secretId);
    assert.equal(login.status, 200, login.text);
    await assertPolicyScope(login.body.auth.client_token);
    const again = await server.api('POST', 'sys/wrapping/unwrap', undefined, wrappingToken);
    assert.equal(again.status, 400, 'a wrapping token unwraps once');
  });
});

describe('B4: no login mints a root token', () => {
  test('a userpass user or an AppRole role given root in any case gets 400, and no token', async () => {
    for (const [name, policies] of [
      ['rooty', 'Root'],
      ['rooty2', ' root'],
      ['rooty3', 'app,ROOT'],
    ] as const) {
      const user = await server.api(
        'POST',
        `auth/userpass/users/${name}`,
        { password: 'pw', token_policies: policies },
        root,
      );
      assert.ok(user.status < 300, user.text);
      const login = await server.api('POST', `auth/userpass/login/${name}`, { password: 'pw' });
      assert.equal(login.status, 400, login.text);
      assert.deepEqual(login.body, { errors: ['auth methods cannot create root tokens'] });
    }
    const roleId = await createRole('rooted', { token_policies: 'ROOT' });
    const { secret_id } = await issueSecret('rooted');
    const login = await approleLogin(roleId, secret_id);
    assert.equal(login.status, 400, login.text);
    assert.deepEqual(login.body, { errors: ['auth methods cannot create root tokens'] });
    // Nothing was minted: the only root token is still the one made at init.
    const accessors = await server.api('LIST', 'auth/token/accessors', undefined, root);
    for (const accessor of accessors.body.data.keys as string[]) {
      const lookup = await server.api('POST', 'auth/token/lookup-accessor', { accessor }, root);
      if ((lookup.body.data.policies as string[]).includes('root'))
        assert.equal(lookup.body.data.path, 'auth/token/root', `a root token from ${lookup.body.data.path}`);
    }
  });

  test('a login carrying an internal policy gets 400 naming it', async () => {
    const user = await server.api(
      'POST',
      'auth/userpass/users/wrapper',
      { password: 'pw', token_policies: 'Response-Wrapping' },
      root,
    );
    assert.ok(user.status < 300, user.text);
    const login = await server.api('POST', 'auth/userpass/login/wrapper', { password: 'pw' });
    assert.equal(login.status, 400, login.text);
    assert.deepEqual(login.body, { errors: ['cannot assign policy "response-wrapping"'] });
  });
});

describe('disabling an auth method', () => {
  test("revokes every token it issued, children included; other methods' tokens live on", async () => {
    assert.equal((await server.api('POST', 'sys/auth/leaving', { type: 'userpass' }, root)).status, 204);
    const maker = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n';
    await server.api('PUT', 'sys/policies/acl/maker', { policy: maker }, root);
    await server.api('POST', 'auth/leaving/users/zed', { password: 'pw', token_policies: 'app,maker' }, root);
    const login = await server.api('POST', 'auth/leaving/login/zed', { password: 'pw' });
    const token: string = login.body.auth.client_token;
    const child = await server.api('POST', 'auth/token/create', { policies: ['app'] }, root);
    const grandchild = await server.api('POST', 'auth/token/create', {}, token);
    assert.equal(grandchild.status, 200, grandchild.text);
    const stays = await server.api('POST', 'auth/userpass/login/alice', { password: 'correct horse' });
    assert.equal(stays.status, 200, stays.text);
    assert.equal((await server.api('DELETE', 'sys/auth/leaving', undefined, root)).status, 204);
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, token)).status, 403);
    const orphaned = await server.api(
      'GET',
      'auth/token/lookup-self',
      undefined,
      grandchild.body.auth.client_token,
    );
    assert.equal(orphaned.status, 403, 'its children too');
    assert.equal(
      (await server.api('GET', 'auth/token/lookup-self', undefined, child.body.auth.client_token)).status,
      200,
    );
    const other = await server.api('GET', 'auth/token/lookup-self', undefined, stays.body.auth.client_token);
    assert.equal(other.status, 200, 'a token from another mount is untouched');
  });
});
