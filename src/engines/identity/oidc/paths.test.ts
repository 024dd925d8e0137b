import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { rejection } from '../../../framework/testing.js';
import { SIGNING_ALGORITHMS } from './signing-keys.js';
import { mountOidcForTest, type OidcTestMount, testEntity } from './testing.js';

const caller = { entityId: 'entity-1' };

async function jwks(mount: OidcTestMount): Promise<JSONWebKeySet> {
  return JSON.parse(String((await mount.request('read', 'oidc/.well-known/keys'))?.raw?.body));
}

async function issue(mount: OidcTestMount, role = 'r') {
  const res = await mount.request('read', `oidc/token/${role}`, {}, caller);
  return res?.data as { token: string; client_id: string; ttl: number };
}

async function introspect(mount: OidcTestMount, body: Record<string, unknown>) {
  return JSON.parse(String((await mount.request('update', 'oidc/introspect', body))?.raw?.body));
}

async function withRole(template?: string) {
  const mount = await mountOidcForTest();
  await mount.request('update', 'oidc/key/k', { allowed_client_ids: '*' });
  await mount.request('update', 'oidc/role/r', { key: 'k', ttl: '1h', ...(template ? { template } : {}) });
  return mount;
}

test('the default key exists from the start, allows every client and cannot be deleted', async () => {
  const mount = await mountOidcForTest();
  assert.deepEqual((await mount.request('list', 'oidc/key/'))?.data?.keys, ['default']);
  assert.deepEqual((await mount.request('read', 'oidc/key/default'))?.data, {
    rotation_period: 86400,
    verification_ttl: 86400,
    algorithm: 'RS256',
    allowed_client_ids: ['*'],
  });
  const error = await rejection(mount.request('delete', 'oidc/key/default'));
  assert.equal(error.message, 'deletion of key "default" not allowed');
  assert.equal(error.status, 400);
});

test('a role on the default key gives it versions and issues tokens', async () => {
  const mount = await mountOidcForTest();
  assert.equal((await jwks(mount)).keys.length, 0);
  await mount.request('update', 'oidc/role/r', { key: 'default' });
  assert.equal((await jwks(mount)).keys.length, 2);
  assert.ok((await issue(mount)).token);
});

test('a key is created with Vault’s defaults and read back', async () => {
  const mount = await mountOidcForTest();
  await mount.request('update', 'oidc/key/k', {});
  assert.deepEqual((await mount.request('read', 'oidc/key/k'))?.data, {
    rotation_period: 86400,
    verification_ttl: 86400,
    algorithm: 'RS256',
    allowed_client_ids: [],
  });
  await mount.request('update', 'oidc/key/k', { allowed_client_ids: 'a,b' });
  assert.equal(
    (await mount.request('read', 'oidc/key/k'))?.data?.rotation_period,
    86400,
    'an update keeps the rest',
  );
});

const keyErrors = [
  {
    name: 'a rotation period under a minute',
    data: { rotation_period: '59s' },
    error: 'rotation_period must be at least one minute',
  },
  {
    name: 'a verification TTL over ten rotation periods',
    data: { rotation_period: '1h', verification_ttl: '11h' },
    error: 'verification_ttl cannot be longer than 10x rotation_period',
  },
  { name: 'an unknown algorithm', data: { algorithm: 'HS256' }, error: 'unknown signing algorithm "HS256"' },
];
for (const c of keyErrors) {
  test(`a key with ${c.name} is refused`, async () => {
    const mount = await mountOidcForTest();
    const error = await rejection(mount.request('update', 'oidc/key/k', c.data));
    assert.equal(error.message, c.error);
    assert.equal(error.status, 400);
  });
}

test('a key still used by a role cannot be deleted', async () => {
  const mount = await withRole();
  const error = await rejection(mount.request('delete', 'oidc/key/k'));
  assert.equal(
    error.message,
    'unable to delete key "k" because it is currently referenced by these roles: r',
  );
  assert.ok(await mount.request('read', 'oidc/key/k'), 'the key is still there');
});

test('a key’s verification TTL cannot drop below a role’s token TTL', async () => {
  const mount = await withRole();
  const error = await rejection(mount.request('update', 'oidc/key/k', { verification_ttl: '30m' }));
  assert.equal(
    error.message,
    'unable to update key "k" because it is currently referenced by one or more roles with a token ttl greater than 1800 seconds',
  );
});

test('role writes are checked as Vault checks them', async () => {
  const mount = await mountOidcForTest();
  await mount.request('update', 'oidc/key/short', { verification_ttl: '1h' });
  const cases = [
    { data: {}, error: 'the key parameter is required' },
    { data: { key: 'nope' }, error: 'cannot find key "nope"' },
    {
      data: { key: 'short', ttl: '2h' },
      error: "a role's token ttl cannot be longer than the verification_ttl of the key it references",
    },
    {
      data: { key: 'short', ttl: '1h', template: '{"iss": "x"}' },
      error: /^top level key "iss" not allowed/,
    },
  ];
  for (const c of cases) {
    const error = await rejection(mount.request('update', 'oidc/role/r', c.data));
    if (c.error instanceof RegExp) assert.match(error.message, c.error);
    else assert.equal(error.message, c.error);
    assert.equal(error.status, 400);
  }
});

test('a role gets a generated client_id and a base64 template is stored decoded', async () => {
  const mount = await mountOidcForTest();
  const template = '{"team": {{identity.entity.metadata.team}}}';
  await mount.request('update', 'oidc/role/r', {
    key: 'default',
    template: Buffer.from(template).toString('base64'),
  });
  const role = (await mount.request('read', 'oidc/role/r'))?.data;
  assert.match(String(role?.client_id), /^[0-9A-Za-z]{26}$/);
  assert.equal(role?.template, template);
  assert.equal(role?.ttl, 86400);
  assert.deepEqual((await mount.request('list', 'oidc/role/'))?.data?.keys, ['r']);
});

test('an issued token verifies against the JWKS and carries Vault’s claims plus the template’s', async () => {
  const mount = await withRole(
    '{"name": {{identity.entity.name}}, "groups": {{identity.entity.groups.names}}}',
  );
  const { token, client_id, ttl } = await issue(mount);
  assert.equal(ttl, 3600);
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await jwks(mount)), {
    currentDate: new Date(mount.clock.now()),
    issuer: '/v1/identity/oidc',
    audience: client_id,
  });
  const now = Math.floor(mount.clock.now() / 1000);
  assert.deepEqual(payload, {
    iss: '/v1/identity/oidc',
    namespace: 'root',
    sub: 'entity-1',
    aud: client_id,
    iat: now,
    exp: now + 3600,
    name: 'alice',
    groups: ['engineers'],
  });
  assert.equal(protectedHeader.alg, 'RS256');
});

test('the issuer follows the configured issuer', async () => {
  const mount = await withRole();
  await mount.request('update', 'oidc/config', { issuer: 'https://vault.example.com:8200' });
  const { token } = await issue(mount);
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  assert.equal(payload.iss, 'https://vault.example.com:8200/v1/identity/oidc');
  const discovery = JSON.parse(
    String((await mount.request('read', 'oidc/.well-known/openid-configuration'))?.raw?.body),
  );
  assert.equal(discovery.jwks_uri, 'https://vault.example.com:8200/v1/identity/oidc/.well-known/keys');
  for (const bad of ['https://vault.example.com/', 'ftp://x', 'https://x/path', 'vault.example.com']) {
    const error = await rejection(mount.request('update', 'oidc/config', { issuer: bad }));
    assert.match(error.message, /^invalid issuer, which must include only a scheme, host, and optional port/);
  }
});

test('a token without an entity gets no identity token', async () => {
  const mount = await withRole();
  const error = await rejection(mount.request('read', 'oidc/token/r', {}, {}));
  assert.equal(error.message, "no entity associated with the request's token");
  assert.equal(error.status, 400);
});

test('a role whose key does not allow its client_id cannot issue', async () => {
  const mount = await mountOidcForTest();
  await mount.request('update', 'oidc/key/k', { allowed_client_ids: 'someone-else' });
  await mount.request('update', 'oidc/role/r', { key: 'k' });
  const error = await rejection(mount.request('read', 'oidc/token/r', {}, caller));
  assert.equal(
    error.message,
    'the key "k" does not list the client ID of the role "r" as an allowed client ID',
  );
  const clientId = (await mount.request('read', 'oidc/role/r'))?.data?.client_id;
  await mount.request('update', 'oidc/key/k', { allowed_client_ids: [clientId] });
  assert.ok((await issue(mount)).token, 'allowed once the key lists it');
});

test('an unknown role is refused', async () => {
  const mount = await mountOidcForTest();
  const error = await rejection(mount.request('read', 'oidc/token/nope', {}, caller));
  assert.equal(error.message, 'role "nope" not found');
});

for (const algorithm of SIGNING_ALGORITHMS) {
  test(`a ${algorithm} key signs tokens that verify, and its JWKS has no private members`, async () => {
    const mount = await mountOidcForTest();
    await mount.request('update', 'oidc/key/k', { algorithm, allowed_client_ids: '*' });
    await mount.request('update', 'oidc/role/r', { key: 'k' });
    const set = await jwks(mount);
    for (const key of set.keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        assert.equal(key[secret as keyof typeof key], undefined);
      assert.equal(key.alg, algorithm);
      assert.equal(key.use, 'sig');
    }
    const { token } = await issue(mount);
    assert.equal(decodeProtectedHeader(token).alg, algorithm);
    await jwtVerify(token, createLocalJWKSet(set), { currentDate: new Date(mount.clock.now()) });
  });
}

test('changing a key’s algorithm keeps the old versions published until verification_ttl', async () => {
  const mount = await withRole();
  const { token } = await issue(mount);
  await mount.request('update', 'oidc/key/k', { algorithm: 'ES256' });
  const set = await jwks(mount);
  assert.equal(set.keys.length, 4);
  await jwtVerify(token, createLocalJWKSet(set), { currentDate: new Date(mount.clock.now()) });
  assert.equal(decodeProtectedHeader((await issue(mount)).token).alg, 'ES256');
});

test('introspection says whether a token is active, and why not', async () => {
  const mount = await withRole();
  const { token, client_id } = await issue(mount);
  assert.deepEqual(await introspect(mount, { token }), { active: true });
  assert.deepEqual(await introspect(mount, { token, client_id }), { active: true });
  assert.deepEqual(await introspect(mount, { token, client_id: 'other' }), {
    active: false,
    error: 'error validating claims: go-jose/go-jose/jwt: validation failed, invalid audience claim (aud)',
  });
  const [header, payload, signature] = token.split('.');
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'x' }),
  );
  assert.deepEqual(
    await introspect(mount, { token: `${header}.${forged.toString('base64url')}.${signature}` }),
    {
      active: false,
      error: 'unable to validate the token signature',
    },
  );
  assert.equal((await introspect(mount, { token: 'garbage' })).active, false);
  assert.equal((await introspect(mount, {})).active, false);

  mount.entities.put(testEntity({ disabled: true }));
  assert.deepEqual(await introspect(mount, { token }), { active: false, error: 'entity is disabled' });
  mount.entities.remove('entity-1');
  assert.deepEqual(await introspect(mount, { token }), { active: false, error: 'entity was not found' });
  mount.entities.put(testEntity());

  mount.clock.advance(3600 * 1000 + 61 * 1000); // past exp and go-jose's minute of leeway
  assert.deepEqual(await introspect(mount, { token }), {
    active: false,
    error: 'error validating claims: go-jose/go-jose/jwt: validation failed, token is expired (exp)',
  });
});

test('the public documents carry Vault’s Cache-Control', async () => {
  const mount = await withRole();
  const discovery = await mount.request('read', 'oidc/.well-known/openid-configuration');
  assert.equal(discovery?.raw?.cacheControl, 'max-age=3600');
  assert.deepEqual(JSON.parse(String(discovery?.raw?.body)).id_token_signing_alg_values_supported, [
    ...SIGNING_ALGORITHMS,
  ]);
  const keys = await mount.request('read', 'oidc/.well-known/keys');
  const maxAge = Number(/^max-age=(\d+)$/.exec(keys?.raw?.cacheControl ?? '')?.[1]);
  assert.ok(
    maxAge >= 0 && maxAge < 86400,
    `max-age below the shortest key window, got ${keys?.raw?.cacheControl}`,
  );
});
