/** Who may do what, end to end: policies, token trees, use limits, cubbyhole and response wrapping. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let root: string;
before(async () => {
  server = await startTestServer({ dev: true });
  root = server.rootToken;
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

/** Asks to renew `token` by ~28 hours; the answer must stay within `maxSeconds`. */
async function renewFarAhead(token: string, maxSeconds: number) {
  const res = await server.api('POST', 'auth/token/renew-self', { increment: 100_000 }, token);
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body.auth.lease_duration <= maxSeconds, `renewed for ${res.body.auth.lease_duration}s`);
  return res;
}

async function createToken(body: Record<string, unknown>, parent = root): Promise<string> {
  const res = await server.api('POST', 'auth/token/create', body, parent);
  assert.equal(res.status, 200, res.text);
  return res.body.auth.client_token;
}

describe('policies on a real server', () => {
  test('a reader policy allows reads of its paths and nothing else', async () => {
    const policy = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n';
    assert.equal((await server.api('PUT', 'sys/policies/acl/reader', { policy }, root)).status, 204);
    await server.api('POST', 'secret/data/app/db', { data: { password: 'p' } }, root);
    const token = await createToken({ policies: ['reader'] });
    assert.equal((await server.api('GET', 'secret/data/app/db', undefined, token)).status, 200);
    const write = await server.api('POST', 'secret/data/app/db', { data: { password: 'x' } }, token);
    assert.equal(write.status, 403);
    assert.deepEqual(write.body.errors, ['1 error occurred:\n\t* permission denied\n\n']);
    // The same opaque 403 whether or not the path exists.
    const missing = await server.api('GET', 'secret/data/other/none', undefined, token);
    const existing = await server.api('GET', 'secret/data/other/db', undefined, token);
    assert.equal(missing.status, 403);
    assert.deepEqual(missing.body, existing.body);
    const caps = await server.api(
      'POST',
      'sys/capabilities-self',
      { paths: ['secret/data/app/db', 'secret/data/x'] },
      token,
    );
    assert.deepEqual(caps.body.data['secret/data/app/db'], ['read']);
    assert.deepEqual(caps.body.data['secret/data/x'], ['deny']);
  });

  test('policy names are lower-cased with a warning, root cannot be changed', async () => {
    const res = await server.api(
      'PUT',
      'sys/policy/MixedCase',
      { policy: 'path "a" {\n  capabilities = ["read"]\n}\n' },
      root,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.warnings, ['policy name was converted to mixedcase']);
    assert.equal(
      (
        await server.api(
          'PUT',
          'sys/policy/root',
          { policy: 'path "a" {\n  capabilities = ["read"]\n}\n' },
          root,
        )
      ).status,
      400,
    );
    assert.equal((await server.api('DELETE', 'sys/policy/default', undefined, root)).status, 400);
    assert.equal((await server.api('PUT', 'sys/policy/empty', { policy: '' }, root)).status, 400);
  });

  test('B4: a name with spaces around root is root: refused; spaces are trimmed from every name', async () => {
    const text = { policy: 'path "*" {\n  capabilities = ["read"]\n}\n' };
    for (const name of ['%20root', 'root%20', '%20ROOT%20']) {
      const res = await server.api('PUT', `sys/policies/acl/${name}`, text, root);
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.deepEqual(res.body, { errors: ['cannot update "root" policy'] });
    }
    const spaced = await server.api('PUT', 'sys/policies/acl/%20dev%20', text, root);
    assert.equal(spaced.status, 200, spaced.text);
    assert.deepEqual(spaced.body.warnings, ['policy name was converted to dev']);
    const listed = await server.api('LIST', 'sys/policies/acl', undefined, root);
    assert.ok(!listed.body.data.keys.some((key: string) => key !== key.trim()), listed.text);
    assert.equal((await server.api('GET', 'sys/policies/acl/dev', undefined, root)).status, 200);
  });
});

describe('token lifecycle', () => {
  test('revoking a parent revokes three levels of children; orphans survive', async () => {
    const maker = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n';
    await server.api('PUT', 'sys/policies/acl/token-maker', { policy: maker }, root);
    const parent = await createToken({ policies: ['token-maker'] });
    const child = await createToken({ policies: ['token-maker'] }, parent);
    const grandchild = await createToken({ policies: ['token-maker'] }, child);
    const greatGrandchild = await createToken({ policies: ['token-maker'] }, grandchild);
    const orphan = await createToken({ policies: ['default'], no_parent: true });
    for (const token of [child, grandchild, greatGrandchild]) {
      assert.equal((await server.api('POST', 'cubbyhole/held', { v: token.slice(-4) }, token)).status, 204);
    }
    assert.equal((await server.api('POST', 'auth/token/revoke', { token: parent }, root)).status, 204);
    for (const token of [parent, child, grandchild, greatGrandchild]) {
      assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, token)).status, 403);
    }
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, orphan)).status, 200);
  });

  test('a parent without the default policy cannot hand it to a child (C3 escalation)', async () => {
    const maker = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n';
    await server.api('PUT', 'sys/policies/acl/bare-maker', { policy: maker }, root);
    const parent = await createToken({ policies: ['bare-maker'], no_default_policy: true });
    const escalate = await server.api('POST', 'auth/token/create', { policies: ['default'] }, parent);
    assert.equal(escalate.status, 400);
    assert.match(escalate.text, /child policies must be subset of parent/);
    const child = await server.api('POST', 'auth/token/create', { policies: ['bare-maker'] }, parent);
    assert.deepEqual(child.body.auth.policies, ['bare-maker'], 'default is not added behind its back');
    const inherited = await server.api('POST', 'auth/token/create', {}, parent);
    assert.deepEqual(inherited.body.auth.policies, ['bare-maker']);
    const withDefault = await createToken({ policies: ['token-maker'] });
    const normal = await server.api('POST', 'auth/token/create', { policies: ['token-maker'] }, withDefault);
    assert.deepEqual(normal.body.auth.policies, ['default', 'token-maker']);
  });

  test('C1/F4: a negative ttl, lease, explicit_max_ttl or period is a 400 naming it, never a token that never expires', async () => {
    const maker = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n';
    await server.api('PUT', 'sys/policies/acl/neg-maker', { policy: maker }, root);
    const parent = await createToken({ policies: ['neg-maker'], ttl: '1h' });
    const cases: [Record<string, unknown>, string][] = [
      [{ ttl: '-1' }, 'ttl must be positive'],
      [{ ttl: -5 }, 'ttl must be positive'],
      [{ ttl: '-1h' }, 'ttl must be positive'],
      [{ lease: '-30s' }, 'lease must be positive'],
      [{ explicit_max_ttl: '-1' }, 'explicit_max_ttl must be positive'],
    ];
    for (const [body, message] of cases) {
      const res = await server.api('POST', 'auth/token/create', body, parent);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.deepEqual(res.body, { errors: [message] });
    }
    const period = await server.api('POST', 'auth/token/create', { period: '-1m' }, root);
    assert.equal(period.status, 400, period.text);
    assert.deepEqual(period.body, { errors: ['period must be positive'] });
    // Through a role that makes orphans too: the child would outlive the token that made it.
    await server.api('POST', 'auth/token/roles/neg-orphans', { orphan: true, token_max_ttl: '1h' }, root);
    const viaRole = await server.api('POST', 'auth/token/create/neg-orphans', { ttl: '-1' }, root);
    assert.equal(viaRole.status, 400, viaRole.text);
    for (const field of ['token_ttl', 'token_max_ttl', 'token_explicit_max_ttl', 'token_period']) {
      const role = await server.api('POST', 'auth/token/roles/neg-role', { [field]: '-1h' }, root);
      assert.equal(role.status, 400, `${field}: ${role.text}`);
      assert.deepEqual(role.body.errors, [`'${field}' cannot be negative`]);
    }
    const fine = await server.api('POST', 'auth/token/create', { ttl: '90s' }, parent);
    assert.equal(fine.body.auth.lease_duration, 90);
  });

  test('a negative renewal increment is a 400 and the token lives on', async () => {
    const token = await createToken({ policies: ['default'], ttl: '1h' });
    const renewed = await server.api('POST', 'auth/token/renew-self', { increment: -1 }, token);
    assert.equal(renewed.status, 400, renewed.text);
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, token)).status, 200);
  });

  test('C1: renewal stops at the max TTL of the role or auth mount that made the token (CVE-2020-12757)', async () => {
    await server.api('POST', 'auth/token/roles/short-max', { token_max_ttl: '60s' }, root);
    const viaRole = await server.api('POST', 'auth/token/create/short-max', { ttl: '30s' }, root);
    assert.equal(viaRole.status, 200, viaRole.text);
    const roleRenew = await renewFarAhead(viaRole.body.auth.client_token, 60);
    assert.ok(roleRenew.body.auth.lease_duration >= 55);
    assert.match(roleRenew.body.warnings?.[0] ?? '', /exceeded the effective max_ttl/);

    await server.api('POST', 'sys/auth/capped-up', { type: 'userpass' }, root);
    await server.api('POST', 'sys/auth/capped-up/tune', { max_lease_ttl: '120s' }, root);
    await server.api('POST', 'auth/capped-up/users/carol', { password: 'pw' }, root);
    const login = await server.api('POST', 'auth/capped-up/login/carol', { password: 'pw' });
    assert.equal(login.status, 200, login.text);
    assert.ok(login.body.auth.lease_duration <= 120);
    await renewFarAhead(login.body.auth.client_token, 120);
    const lookup = await server.api('GET', 'auth/token/lookup-self', undefined, login.body.auth.client_token);
    const expires = Date.parse(lookup.body.data.expire_time);
    const issued = Date.parse(lookup.body.data.issue_time);
    assert.ok(expires - issued <= 121_000, 'the expiry itself is within the mount maximum');
  });

  test('a token with num_uses=3 serves exactly three requests, even concurrently', async () => {
    const token = await createToken({ policies: ['default'], num_uses: 3 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => server.api('GET', 'auth/token/lookup-self', undefined, token)),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 3);
  });

  test('cubbyhole is private to its token, root included', async () => {
    const a = await createToken({ policies: ['default'] });
    await server.api('POST', 'cubbyhole/secret', { value: 'only-a' }, a);
    assert.equal((await server.api('GET', 'cubbyhole/secret', undefined, a)).body.data.value, 'only-a');
    assert.equal((await server.api('GET', 'cubbyhole/secret', undefined, root)).status, 404);
  });
});

describe('response wrapping', () => {
  test('a wrapped token creation unwraps once', async () => {
    const wrapped = await server.api('POST', 'auth/token/create', { policies: ['default'] }, root, {
      'X-Vault-Wrap-TTL': '60s',
    });
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.body.request_id, '');
    assert.equal(wrapped.body.auth, null);
    const info = wrapped.body.wrap_info;
    assert.equal(info.ttl, 60);
    assert.equal(info.creation_path, 'auth/token/create');
    assert.ok(info.wrapped_accessor);
    const lookup = await server.api('POST', 'sys/wrapping/lookup', { token: info.token });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.creation_ttl, 60);
    const unwrapped = await server.api('POST', 'sys/wrapping/unwrap', undefined, info.token);
    assert.equal(unwrapped.status, 200);
    assert.ok(unwrapped.body.auth.client_token);
    const again = await server.api('POST', 'sys/wrapping/unwrap', undefined, info.token);
    assert.equal(again.status, 400);
  });

  test('sys/wrapping/wrap and unwrap by token in the body', async () => {
    const wrapped = await server.api('POST', 'sys/wrapping/wrap', { hello: 'world' }, root);
    assert.equal(wrapped.body.wrap_info.creation_path, 'sys/wrapping/wrap');
    const unwrapped = await server.api(
      'POST',
      'sys/wrapping/unwrap',
      { token: wrapped.body.wrap_info.token },
      root,
    );
    assert.deepEqual(unwrapped.body.data, { hello: 'world' });
    const again = await server.api(
      'POST',
      'sys/wrapping/unwrap',
      { token: wrapped.body.wrap_info.token },
      root,
    );
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['wrapping token is not valid or does not exist']);
  });

  test("an old client's unwrap, a read of cubbyhole/response with the wrapping token, answers once", async () => {
    await server.api('POST', 'secret/data/legacy', { data: { pin: '4321' } }, root);
    const wrapped = await server.api('GET', 'secret/data/legacy', undefined, root, {
      'X-Vault-Wrap-TTL': '60s',
    });
    const token = wrapped.body.wrap_info.token;
    const read = await server.api('GET', 'cubbyhole/response', undefined, token);
    assert.equal(read.status, 200, read.text);
    assert.match(read.body.warnings[0], /Reading from 'cubbyhole\/response' is deprecated/);
    const inner = JSON.parse(read.body.data.response);
    assert.equal(inner.data.data.pin, '4321');
    assert.equal(inner.wrap_info, null);
    // Single use, as through sys/wrapping/unwrap: the token and the record are gone.
    assert.equal((await server.api('GET', 'cubbyhole/response', undefined, token)).status, 403);
    assert.equal((await server.api('POST', 'sys/wrapping/unwrap', undefined, token)).status, 400);
    // Any other token reading its own cubbyhole/response reads its own cubbyhole, as before.
    assert.equal((await server.api('GET', 'cubbyhole/response', undefined, root)).status, 404);
  });
});

describe('mounts', () => {
  test('a tune that leaves a TTL empty leaves it alone; "system" resets it (the vault CLI sends "" for unset flags)', async () => {
    assert.equal((await server.api('POST', 'sys/mounts/tuned', { type: 'kv-v1' }, root)).status, 204);
    await server.api('POST', 'sys/mounts/tuned/tune', { default_lease_ttl: '30m' }, root);
    await server.api(
      'POST',
      'sys/mounts/tuned/tune',
      { description: 'now described', default_lease_ttl: '', max_lease_ttl: '' },
      root,
    );
    const kept = await server.api('GET', 'sys/mounts/tuned/tune', undefined, root);
    assert.equal(kept.body.data.default_lease_ttl, 1800, kept.text);
    assert.equal(kept.body.data.description, 'now described');
    await server.api('POST', 'sys/mounts/tuned/tune', { default_lease_ttl: 'system' }, root);
    const reset = await server.api('GET', 'sys/mounts/tuned/tune', undefined, root);
    assert.notEqual(reset.body.data.default_lease_ttl, 1800);
  });

  test('a remount onto a reserved path (identity/, auth/token/) is refused and the mount stays', async () => {
    assert.equal((await server.api('POST', 'sys/mounts/movable', { type: 'kv-v1' }, root)).status, 204);
    await server.api('POST', 'movable/a', { v: '1' }, root);
    for (const to of ['identity', 'identity/sub']) {
      const res = await server.api('POST', 'sys/remount', { from: 'movable', to }, root);
      assert.equal(res.status, 400, `${to}: ${res.text}`);
    }
    assert.equal((await server.api('POST', 'sys/auth/movable-auth', { type: 'userpass' }, root)).status, 204);
    const toToken = await server.api(
      'POST',
      'sys/remount',
      { from: 'auth/movable-auth', to: 'auth/token' },
      root,
    );
    assert.equal(toToken.status, 400, toToken.text);
    // A body can carry what no URL can: such a mount could never be reached or disabled.
    for (const to of ['a\u0000b', 'tab\there', 'x'.repeat(100_000)]) {
      const res = await server.api('POST', 'sys/remount', { from: 'movable', to }, root);
      assert.equal(res.status, 400, res.text.slice(0, 200));
    }
    assert.equal((await server.api('GET', 'movable/a', undefined, root)).body.data.v, '1');
  });

  test('enable, list, tune, detect KV version, disable deletes data', async () => {
    assert.equal(
      (await server.api('POST', 'sys/mounts/team', { type: 'kv-v1', description: 'team secrets' }, root))
        .status,
      204,
    );
    const conflict = await server.api('POST', 'sys/mounts/team/inner', { type: 'kv' }, root);
    assert.equal(conflict.status, 400);
    assert.match(conflict.body.errors[0], /path is already in use at team\//);
    const mounts = await server.api('GET', 'sys/mounts', undefined, root);
    assert.equal(mounts.body.data['team/'].type, 'kv');
    assert.match(mounts.body.data['team/'].accessor, /^kv_[0-9a-f]{8}$/);
    await server.api('POST', 'team/app', { k: 'v' }, root);
    const ui = await server.api('GET', 'sys/internal/ui/mounts/team/app', undefined, root);
    assert.equal(ui.body.data.path, 'team/');
    assert.equal(ui.body.data.options.version, '1');
    assert.equal(
      (
        await server.api(
          'POST',
          'sys/mounts/team/tune',
          { default_lease_ttl: '1h', max_lease_ttl: '2h' },
          root,
        )
      ).status,
      204,
    );
    const tune = await server.api('GET', 'sys/mounts/team/tune', undefined, root);
    assert.equal(tune.body.data.default_lease_ttl, 3600);
    assert.equal(tune.body.data.max_lease_ttl, 7200);
    assert.equal((await server.api('DELETE', 'sys/mounts/team', undefined, root)).status, 204);
    assert.equal((await server.api('POST', 'sys/mounts/team', { type: 'kv-v1' }, root)).status, 204);
    assert.equal(
      (await server.api('GET', 'team/app', undefined, root)).status,
      404,
      'data went with the old mount',
    );
    const denied = await server.api('GET', 'sys/internal/ui/mounts/nowhere/x', undefined, root);
    assert.equal(denied.status, 403);
  });
});

test('sys/internal/ui/mounts: a stale token is refused, not taken as anonymous; unauth mounts are listed for all', async () => {
  assert.equal((await server.api('POST', 'sys/mounts/shown', { type: 'kv-v2' }, root)).status, 204);
  const tune = { listing_visibility: 'unauth' };
  assert.equal((await server.api('POST', 'sys/mounts/shown/tune', tune, root)).status, 204);
  const stale = await createToken({ policies: ['default'] });
  await server.api('POST', 'auth/token/revoke', { token: stale }, root);
  for (const path of ['sys/internal/ui/mounts', 'sys/internal/ui/mounts/shown/app']) {
    const res = await server.api('GET', path, undefined, stale);
    assert.equal(res.status, 403, `${path}: ${res.text}`);
    assert.deepEqual(res.body.errors, ['permission denied']);
  }
  const anonymous = await server.api('GET', 'sys/internal/ui/mounts');
  assert.equal(anonymous.status, 200);
  assert.deepEqual(Object.keys(anonymous.body.data.secret), ['shown/']);
  assert.equal(anonymous.body.data.secret['shown/'].accessor, undefined, 'anonymous callers get no details');
  // A valid token whose policies do not reach shown/ still sees it, with its details.
  const plain = await createToken({ policies: ['default'] });
  const listed = await server.api('GET', 'sys/internal/ui/mounts', undefined, plain);
  assert.equal(listed.status, 200);
  assert.match(listed.body.data.secret['shown/'].accessor, /^kv_/);
  assert.equal(listed.body.data.secret['secret/'], undefined, 'default reaches nothing under secret/');
});

describe('token creation rules a caller must not get around (Vault handleCreateCommon)', () => {
  const creatorPolicy = 'path "auth/token/*" {\n  capabilities = ["create", "update", "read"]\n}\n';
  let creator: string;
  before(async () => {
    await server.api('PUT', 'sys/policies/acl/creator', { policy: creatorPolicy }, root);
    await server.api(
      'PUT',
      'sys/policies/acl/admin',
      { policy: 'path "*" {\n  capabilities = ["sudo", "read"]\n}\n' },
      root,
    );
    creator = await createToken({ policies: ['creator'] });
    await server.api('POST', 'auth/token/roles/plain', { orphan: false }, root);
  });

  const create = (path: string, body: Record<string, unknown>, as = creator) =>
    server.api('POST', `auth/token/${path}`, body, as);
  const refused = async (path: string, body: Record<string, unknown>, message: string, as = creator) => {
    const res = await create(path, body, as);
    assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(res.body, { errors: [message] });
  };

  test('a role without allowed or disallowed policies holds a caller to its own policies', async () => {
    await refused('create/plain', { policies: ['admin'] }, 'child policies must be subset of parent');
    const same = await create('create/plain', { policies: ['creator'] });
    assert.equal(same.status, 200, same.text);
  });

  test('a period takes sudo through a role too; with both, the lesser period wins with a warning', async () => {
    await refused(
      'create/plain',
      { period: '100h' },
      'root or sudo privileges required to create periodic token',
    );
    await server.api('POST', 'auth/token/roles/hourly', { token_period: '1h' }, root);
    const both = await create('create/hourly', { period: '2h' }, root);
    assert.equal(both.body.auth.lease_duration, 3600);
    assert.match(both.body.warnings.join(' '), /Period specified both during creation call and in role/);
  });

  test("a request cannot widen the role's explicit max TTL, renewability or token type", async () => {
    await server.api(
      'POST',
      'auth/token/roles/strict',
      { token_explicit_max_ttl: '60s', renewable: false },
      root,
    );
    const strict = await create(
      'create/strict',
      { explicit_max_ttl: '3600s', ttl: '3600s', renewable: true },
      root,
    );
    assert.equal(strict.status, 200, strict.text);
    assert.equal(strict.body.auth.lease_duration, 60);
    assert.equal(strict.body.auth.renewable, false);
    await server.api(
      'POST',
      'auth/token/roles/batchy',
      { token_type: 'batch', orphan: true, renewable: false },
      root,
    );
    const batch = await create('create/batchy', { type: 'service' }, root);
    assert.equal(batch.status, 200, batch.text);
    assert.match(batch.body.auth.client_token, /^hvb\./, 'the role says batch');
  });

  test("a child keeps its parent's bound CIDRs", async () => {
    await server.api('POST', 'auth/token/roles/bound', { token_bound_cidrs: ['127.0.0.1/32'] }, root);
    const parent = await create('create/bound', { policies: ['creator'] }, root);
    const child = await create('create', {}, parent.body.auth.client_token);
    assert.equal(child.status, 200, child.text);
    const lookup = await server.api('GET', 'auth/token/lookup-self', undefined, child.body.auth.client_token);
    assert.deepEqual(lookup.body.data.bound_cidrs, ['127.0.0.1/32']);
  });

  test('a limited-use token makes no children, not even on its last use (CVE-2019-18616)', async () => {
    await server.api('POST', 'auth/token/roles/orph', { orphan: true }, root);
    for (const uses of [1, 2]) {
      const limited = await createToken({ policies: ['creator'], num_uses: uses });
      await refused('create/orph', {}, 'restricted use token cannot generate child tokens', limited);
    }
  });

  test('a batch token cannot carry num_uses; a period is capped at the max TTL; an expiring root makes only expiring roots', async () => {
    await refused('create', { type: 'batch', num_uses: 1 }, 'batch tokens cannot have "num_uses" set', root);
    const periodic = await create('create', { period: '100000h' }, root);
    assert.equal(periodic.status, 200, periodic.text);
    assert.ok(
      periodic.body.auth.lease_duration <= 768 * 3600,
      `period ${periodic.body.auth.lease_duration}s`,
    );
    assert.match(periodic.body.warnings.join(' '), /period value is capped/);
    const renewed = await server.api('POST', 'auth/token/renew-self', {}, periodic.body.auth.client_token);
    assert.ok(renewed.body.auth.lease_duration <= 768 * 3600, 'renewals use the capped period');
    const expiringRoot = await createToken({ policies: ['root'], ttl: '1h' });
    await refused(
      'create',
      { policies: ['root'] },
      'expiring root tokens cannot create non-expiring root tokens',
      expiringRoot,
    );
    await refused(
      'create-orphan',
      { policies: ['root'] },
      'expiring root tokens cannot create non-expiring root tokens',
      expiringRoot,
    );
  });
});
