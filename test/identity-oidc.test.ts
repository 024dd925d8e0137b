/**
 * Identity tokens over HTTP on the built server: keys, roles, the public discovery document and JWKS
 * (read without a token), issuance, verification by a relying party (jose's remote JWKS), rotation
 * and introspection.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { api, removeServerDir, spawnServer, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let root: string;

before(async () => {
  server = await startTestServer({ storage: 'sqlite' });
  root = server.rootToken;
  const key = await server.api(
    'POST',
    'identity/oidc/key/app',
    { allowed_client_ids: '*', verification_ttl: '2h' },
    root,
  );
  assert.equal(key.status, 204, key.text);
  const role = await server.api(
    'POST',
    'identity/oidc/role/app',
    {
      key: 'app',
      ttl: '1h',
      template: '{"user": {{identity.entity.name}}, "groups": {{identity.entity.groups.names}}}',
    },
    root,
  );
  assert.equal(role.status, 204, role.text);
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

const discoveryPath = 'identity/oidc/.well-known/openid-configuration';
const keysPath = 'identity/oidc/.well-known/keys';

test('the discovery document is served without a token and names the server as issuer', async () => {
  const res = await server.api('GET', discoveryPath);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('cache-control'), 'max-age=3600');
  assert.equal(res.body.issuer, `${server.address}/v1/identity/oidc`);
  assert.equal(res.body.jwks_uri, `${server.address}/v1/identity/oidc/.well-known/keys`);
  assert.deepEqual(res.body.subject_types_supported, ['public']);
});

test("with api_addr set, the issuer is api_addr's, not the listener's", async () => {
  const other = await startTestServer({
    storage: 'inmem',
    extraConfig: 'api_addr = "https://coffer.example:8200"',
  });
  try {
    const res = await other.api('GET', discoveryPath);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.issuer, 'https://coffer.example:8200/v1/identity/oidc');
  } finally {
    await other.stop();
    await removeServerDir(other);
  }
});

test('the JWKS is served without a token, holds the signing and next keys, and no private member', async () => {
  const res = await server.api('GET', keysPath);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('cache-control') ?? '', /^max-age=\d+$/);
  assert.equal(res.body.keys.length, 2);
  for (const key of res.body.keys) {
    assert.equal(key.kty, 'RSA');
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[secret], undefined);
  }
});

test('the rest of identity/oidc needs a token', async () => {
  assert.equal((await server.api('GET', 'identity/oidc/token/app')).status, 403);
  assert.equal((await server.api('POST', 'identity/oidc/introspect', { token: 'x' })).status, 403);
  assert.equal((await server.api('LIST', 'identity/oidc/key')).status, 403);
});

test('keys and roles read back as Vault shows them', async () => {
  const keys = await server.api('LIST', 'identity/oidc/key', undefined, root);
  assert.deepEqual(keys.body.data.keys, ['app', 'default']);
  const role = await server.api('GET', 'identity/oidc/role/app', undefined, root);
  assert.equal(role.body.data.key, 'app');
  assert.equal(role.body.data.ttl, 3600);
  assert.match(role.body.data.client_id, /^[0-9A-Za-z]{26}$/);
});

test('a token without an entity is refused an identity token, as Vault refuses it', async () => {
  const res = await server.api('GET', 'identity/oidc/token/app', undefined, root);
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.errors, ["no entity associated with the request's token"]);
});

test('a key still used by a role cannot be deleted', async () => {
  const res = await server.api('DELETE', 'identity/oidc/key/app', undefined, root);
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.errors, [
    'unable to delete key "app" because it is currently referenced by these roles: app',
  ]);
});

test('rotation adds a key version and keeps the retired one published', async () => {
  const before = (await server.api('GET', keysPath)).body.keys.map((k: { kid: string }) => k.kid);
  const res = await server.api('POST', 'identity/oidc/key/app/rotate', {}, root);
  assert.equal(res.status, 204, res.text);
  const after = (await server.api('GET', keysPath)).body.keys.map((k: { kid: string }) => k.kid);
  assert.equal(after.length, before.length + 1);
  for (const kid of before) assert.ok(after.includes(kid), 'earlier versions stay published');
});

test('introspection of a token the server did not sign says inactive, with status 200', async () => {
  const res = await server.api('POST', 'identity/oidc/introspect', { token: 'not.a.jwt' }, root);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.active, false);
});

/** A userpass user whose token may ask for identity tokens. */
async function userToken(): Promise<{ token: string; entityId: string }> {
  const policy = 'path "identity/oidc/token/*" { capabilities = ["read"] }';
  assert.equal((await server.api('PUT', 'sys/policies/acl/oidc-user', { policy }, root)).status, 204);
  assert.equal((await server.api('POST', 'sys/auth/userpass', { type: 'userpass' }, root)).status, 204);
  const user = { password: 'correct horse battery', token_policies: 'oidc-user' };
  assert.equal((await server.api('POST', 'auth/userpass/users/alice', user, root)).status, 204);
  const login = await server.api('POST', 'auth/userpass/login/alice', { password: user.password });
  assert.equal(login.status, 200, login.text);
  return { token: login.body.auth.client_token, entityId: login.body.auth.entity_id ?? '' };
}

test('a relying party verifies an issued token through discovery, across a rotation; introspection agrees', async () => {
  const { token: userClientToken, entityId } = await userToken();
  assert.notEqual(entityId, '', 'a login sets the entity of its alias');
  const issued = await server.api('GET', 'identity/oidc/token/app', undefined, userClientToken);
  assert.equal(issued.status, 200, issued.text);
  const { token, client_id: clientId } = issued.body.data;
  const discovery = (await server.api('GET', discoveryPath)).body;
  const verify = (jwt: string) =>
    jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      audience: clientId,
    });

  const { payload } = await verify(token);
  assert.equal(payload.sub, entityId);
  assert.equal(payload.namespace, 'root');
  // The login's entity, as the identity store names it (Vault: entity_<random> for a login-made one).
  const entity = await server.api('GET', `identity/entity/id/${entityId}`, undefined, root);
  assert.equal(payload.user, entity.body.data.name);

  assert.equal((await server.api('POST', 'identity/oidc/key/app/rotate', {}, root)).status, 204);
  await verify(token); // still published for verification_ttl
  const next = (await server.api('GET', 'identity/oidc/token/app', undefined, userClientToken)).body.data
    .token;
  assert.notEqual(decodeProtectedHeader(next).kid, decodeProtectedHeader(token).kid);
  await verify(next);

  const active = await server.api('POST', 'identity/oidc/introspect', { token, client_id: clientId }, root);
  assert.deepEqual(active.body, { active: true });
  const wrongAudience = await server.api(
    'POST',
    'identity/oidc/introspect',
    { token, client_id: 'other' },
    root,
  );
  assert.equal(wrongAudience.body.active, false);
});

test('without api_addr, a wildcard listener is never published as the issuer: the loopback address stands in', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-e2e-'));
  const started = await spawnServer(['-dev', '-dev-listen-address=0.0.0.0:0'], {
    COFFER_TOKEN_PATH: join(dir, 'vault-token'),
  });
  try {
    const port = new URL(started.address).port;
    const res = await api(`http://127.0.0.1:${port}`, 'GET', discoveryPath);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.issuer, `http://127.0.0.1:${port}/v1/identity/oidc`);
  } finally {
    const exited = new Promise((resolve) => started.child.once('exit', resolve));
    started.child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});
