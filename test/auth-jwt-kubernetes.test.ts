/**
 * jwt and kubernetes auth against a real server process: logins through the `coffer` CLI and
 * node-vault, tokens limited by their policy, and the A4/A5 attack cases over HTTP, with a local
 * JWKS/OIDC server and an HTTPS TokenReview stand-in.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import nodeVault from 'node-vault';
import {
  createSigningKey,
  githubActionsClaims,
  hmacWithPublicKey,
  signToken,
  startIdentityProvider,
  type TestIdentityProvider,
  unsignedToken,
} from '../src/auth/jwt/testing.js';
import { startTokenReviewServer, type TokenReviewServer } from '../src/auth/kubernetes/testing.js';
import { runCli, tempHome } from '../src/cli/testing.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const APP = { namespace: 'payments', name: 'api', uid: '6d1c3f0e-2b7a-4e55-9c1d-8a2f4b6e0c31' };
const REVIEWER_JWT = 'eyJhbGciOiJSUzI1NiJ9.reviewer-canary-7f3a9c.signature';

let server: TestServer;
let idp: TestIdentityProvider;
let k8s: TokenReviewServer;
let home: { home: string; cleanup: () => Promise<void> };
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function ok(method: string, path: string, body?: unknown) {
  const res = await server.api(method, path, body, server.rootToken);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res;
}

before(async () => {
  [server, idp, k8s, home] = await Promise.all([
    startTestServer({ storage: 'inmem' }),
    startIdentityProvider(),
    startTokenReviewServer(),
    tempHome(),
  ]);
  await ok('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '1' } });
  await ok('PUT', 'kv/app/config', { password: 'app-secret' });
  await ok('PUT', 'kv/other/config', { password: 'other-secret' });
  await ok('PUT', 'sys/policies/acl/app-read', { policy: 'path "kv/app/*" { capabilities = ["read"] }' });
  await ok('POST', 'sys/auth/jwt', { type: 'jwt' });
  await ok('PUT', 'auth/jwt/config', { jwks_url: idp.jwksUrl, bound_issuer: idp.issuer });
  await ok('PUT', 'auth/jwt/role/github', {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_audiences: ['https://github.com/org'],
    bound_claims_type: 'glob',
    bound_claims: { repository: 'org/repo', ref: 'refs/heads/*', workflow: 'deploy' },
    claim_mappings: { repository: 'repository' },
    token_policies: ['app-read'],
    token_ttl: '5m',
  });
  await ok('PUT', 'auth/jwt/role/noaud', {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_claims: { repository: 'org/repo' },
  });
  await ok('POST', 'sys/auth/oidc', { type: 'oidc' });
  await ok('PUT', 'auth/oidc/config', { oidc_discovery_url: idp.issuer });
  await ok('PUT', 'auth/oidc/role/github', {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_audiences: 'https://github.com/org',
    token_policies: 'app-read',
  });
  await ok('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
  await ok('PUT', 'auth/kubernetes/config', {
    kubernetes_host: k8s.url,
    kubernetes_ca_cert: k8s.caPem,
    token_reviewer_jwt: REVIEWER_JWT,
    disable_local_ca_jwt: true,
  });
  await ok('PUT', 'auth/kubernetes/role/app', {
    bound_service_account_names: ['api'],
    bound_service_account_namespaces: ['payments'],
    token_policies: 'app-read',
  });
});

after(async () => {
  await server?.stop();
  await Promise.all([server && removeServerDir(server), idp?.close(), k8s?.close(), home?.cleanup()]);
});

const githubToken = (overrides: Record<string, unknown> = {}) =>
  signToken(idp.keys[0], githubActionsClaims(idp.issuer, nowSeconds(), overrides));

async function cliLoginAndRead(method: string, mount: string, role: string, jwt: string) {
  const env = { VAULT_ADDR: server.address, HOME: home.home };
  const login = await runCli(
    ['login', `-method=${method}`, `-path=${mount}`, '-format=json', `role=${role}`, `jwt=${jwt}`],
    { env },
  );
  assert.equal(login.code, 0, login.stderr);
  const token = JSON.parse(login.stdout).auth.client_token as string;
  const withToken = { ...env, VAULT_TOKEN: token };
  const allowed = await runCli(['read', '-field=password', 'kv/app/config'], { env: withToken });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(allowed.stdout.trim(), 'app-secret');
  const denied = await runCli(['read', 'kv/other/config'], { env: withToken });
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /permission denied/);
  return JSON.parse(login.stdout).auth;
}

async function nodeVaultLoginAndRead(login: (vault: nodeVault.client) => Promise<unknown>) {
  const vault = nodeVault({ endpoint: server.address, apiVersion: 'v1' });
  await login(vault); // tokenSource: node-vault keeps the minted token
  assert.ok(vault.token, 'node-vault stored the login token');
  assert.equal((await vault.read('kv/app/config')).data.password, 'app-secret');
  await assert.rejects(vault.read('kv/other/config'), (error: { response?: { statusCode?: number } }) => {
    assert.equal(error.response?.statusCode, 403);
    return true;
  });
}

describe('jwt auth end to end', () => {
  test('an external group aliased on the jwt mount follows the groups claim at each login', async () => {
    await ok('PUT', 'auth/jwt/role/grouped', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['https://github.com/org'],
      groups_claim: 'groups',
    });
    const accessor = (await ok('GET', 'sys/auth')).body.data['jwt/'].accessor;
    const group = (
      await ok('POST', 'identity/group', { name: 'deployers', type: 'external', policies: 'app-read' })
    ).body.data;
    await ok('POST', 'identity/group-alias', {
      name: 'deployers',
      mount_accessor: accessor,
      canonical_id: group.id,
    });
    const login = async (groups: string[]) => {
      const res = await server.api('POST', 'auth/jwt/login', {
        role: 'grouped',
        jwt: await githubToken({ groups }),
      });
      assert.equal(res.status, 200, res.text);
      return res.body.auth as { client_token: string; identity_policies?: string[] };
    };
    const member = await login(['deployers', 'other']);
    assert.deepEqual(member.identity_policies, ['app-read']);
    assert.equal((await server.api('GET', 'kv/app/config', undefined, member.client_token)).status, 200);
    const left = await login([]);
    assert.equal(left.identity_policies, undefined);
    // The same user (same sub, same entity) left the group: the earlier token loses it at once.
    assert.equal((await server.api('GET', 'kv/app/config', undefined, member.client_token)).status, 403);
    await ok('DELETE', 'auth/jwt/role/grouped'); // the role list test below expects only its own roles
  });

  test('coffer login -method=jwt with a GitHub Actions token, then read what the policy allows', async () => {
    const auth = await cliLoginAndRead('jwt', 'jwt', 'github', await githubToken());
    assert.deepEqual(auth.token_policies, ['app-read', 'default']);
    assert.equal(auth.metadata.repository, 'org/repo');
    assert.equal(auth.metadata.role, 'github');
    assert.equal(auth.lease_duration, 300);
  });

  test('node-vault jwtLogin', async () => {
    const jwt = await githubToken({ ref: 'refs/heads/release' });
    await nodeVaultLoginAndRead((vault) => vault.jwtLogin({ role: 'github', jwt }));
  });

  test('an oidc-type mount verifies through OIDC discovery', async () => {
    const res = await server.api('PUT', 'auth/oidc/login', { role: 'github', jwt: await githubToken() });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.auth.client_token);
  });

  test('A4: every hostile token is refused with 400, mints nothing and is never echoed', async () => {
    const key = idp.keys[0];
    const now = nowSeconds();
    const claims = githubActionsClaims(idp.issuer, now);
    const unknown = await createSigningKey('unpublished');
    const cases: [string, string, string][] = [
      ['alg none', 'github', unsignedToken(claims, key.kid)],
      ['HS256 signed with the RSA public key', 'github', hmacWithPublicKey(key, claims)],
      [
        'exp beyond the leeway',
        'github',
        await signToken(key, { ...claims, iat: now - 900, nbf: now - 900, exp: now - 120 }),
      ],
      ['nbf beyond the leeway', 'github', await signToken(key, { ...claims, nbf: now + 600 })],
      [
        'a wrong iss',
        'github',
        await signToken(key, { ...claims, iss: 'https://token.actions.githubusercontent.com' }),
      ],
      [
        'aud as a single string not bound',
        'github',
        await signToken(key, { ...claims, aud: 'https://github.com/evil' }),
      ],
      ['aud present, role binds none', 'noaud', await signToken(key, claims)],
      ['an unknown kid', 'github', await signToken(unknown, claims)],
      ['a workflow the role does not bind', 'github', await signToken(key, { ...claims, workflow: 'other' })],
    ];
    for (const [name, role, jwt] of cases) {
      const res = await server.api('PUT', 'auth/jwt/login', { role, jwt });
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(res.body.auth, undefined, name);
      assert.ok(Array.isArray(res.body.errors) && res.body.errors.length === 1, name);
      for (const part of jwt.split('.').filter((p) => p.length > 8))
        assert.ok(!res.text.includes(part), `${name} echoes the token`);
    }
  });

  test('A4: a JWKS URL or key in the login request is ignored', async () => {
    const attacker = await startIdentityProvider([await createSigningKey(idp.keys[0].kid)]);
    try {
      const forged = await signToken(attacker.keys[0], githubActionsClaims(idp.issuer, nowSeconds()));
      const res = await server.api('PUT', 'auth/jwt/login', {
        role: 'github',
        jwt: forged,
        jwks_url: attacker.jwksUrl,
        oidc_discovery_url: attacker.issuer,
        jwt_validation_pubkeys: [attacker.keys[0].publicPem],
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(attacker.jwksFetches(), 0);
    } finally {
      await attacker.close();
    }
  });

  test('config read answers settings; role list', async () => {
    const config = await ok('GET', 'auth/jwt/config');
    assert.equal(config.body.data.jwks_url, idp.jwksUrl);
    const roles = await server.api('LIST', 'auth/jwt/role', undefined, server.rootToken);
    assert.deepEqual(roles.body.data.keys.sort(), ['github', 'noaud']);
    const noRedirect = await server.api(
      'PUT',
      'auth/jwt/role/browser',
      { role_type: 'oidc', user_claim: 'sub' },
      server.rootToken,
    );
    assert.equal(noRedirect.status, 400);
    assert.match(noRedirect.body.errors[0], /'allowed_redirect_uris' must be set/);
    // role_type defaults to oidc, as in Vault; such a role is stored but cannot take a bearer JWT.
    await ok('PUT', 'auth/jwt/role/browser', {
      user_claim: 'sub',
      allowed_redirect_uris: ['https://app.example/cb'],
    });
    assert.equal((await ok('GET', 'auth/jwt/role/browser')).body.data.role_type, 'oidc');
    const login = await server.api('PUT', 'auth/jwt/login', { role: 'browser', jwt: await githubToken() });
    assert.equal(login.status, 400);
    assert.deepEqual(login.body.errors, ['role with oidc role_type is not allowed']);
    await ok('DELETE', 'auth/jwt/role/browser');
  });
});

describe('kubernetes auth end to end', () => {
  test('coffer login -method=kubernetes, then read what the policy allows', async () => {
    const auth = await cliLoginAndRead('kubernetes', 'kubernetes', 'app', await k8s.issueToken(APP));
    assert.equal(auth.metadata.service_account_name, 'api');
    assert.equal(auth.metadata.service_account_namespace, 'payments');
    assert.equal(k8s.reviews.at(-1)?.authorization, `Bearer ${REVIEWER_JWT}`);
  });

  test('node-vault kubernetesLogin', async () => {
    const jwt = await k8s.issueToken(APP, { projected: true });
    await nodeVaultLoginAndRead((vault) =>
      vault.kubernetesLogin({ role: 'app', jwt, mount_point: 'kubernetes' }),
    );
  });

  test('config read never answers the reviewer JWT', async () => {
    const config = await ok('GET', 'auth/kubernetes/config');
    assert.equal(config.body.data.token_reviewer_jwt_set, true);
    assert.ok(!config.text.includes(REVIEWER_JWT));
  });

  test('A5: other namespace or name, authenticated:false are 403; a broken or hung API server is a 500', async () => {
    const good = await k8s.issueToken(APP);
    const cases: [string, () => Promise<string>, number, RegExp, (() => void)?][] = [
      [
        'another namespace',
        () => k8s.issueToken({ ...APP, namespace: 'kube-system' }),
        403,
        /namespace not authorized/,
      ],
      [
        'another name',
        () => k8s.issueToken({ ...APP, name: 'admin' }),
        403,
        /service account name not authorized/,
      ],
      ['authenticated:false', () => k8s.issueUnknownToken(APP), 403, /lookup failed/],
      ['TokenReview answers 500', async () => good, 500, /answered HTTP 500/, () => k8s.setMode('error500')],
      ['TokenReview hangs', async () => good, 500, /timed out/, () => k8s.setMode('hang')],
    ];
    try {
      for (const [name, makeToken, status, message, arrange] of cases) {
        k8s.setMode('review');
        arrange?.();
        const jwt = await makeToken();
        const res = await server.api('PUT', 'auth/kubernetes/login', { role: 'app', jwt });
        assert.equal(res.status, status, `${name}: ${res.text}`);
        assert.match(res.body.errors.join(' '), message, name);
        assert.equal(res.body.auth, undefined, name);
        for (const part of jwt.split('.').filter((p) => p.length > 8))
          assert.ok(!res.text.includes(part), `${name} echoes the JWT`);
        assert.ok(!res.text.includes('reviewer-canary'), `${name} echoes the reviewer JWT`);
      }
    } finally {
      k8s.setMode('review');
    }
  });

  test('A5: a spoofed reviewer URL, host or header in the login request is ignored', async () => {
    let attackerHits = 0;
    const attacker = createServer((_req, res) => {
      attackerHits += 1;
      res.writeHead(201, { 'Content-Type': 'application/json' });
      const user = { username: 'system:serviceaccount:payments:api', uid: APP.uid };
      res.end(JSON.stringify({ status: { authenticated: true, user } }));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const spoof = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    try {
      const forged = await k8s.issueUnknownToken(APP);
      const res = await server.api(
        'PUT',
        'auth/kubernetes/login',
        { role: 'app', jwt: forged, kubernetes_host: spoof, token_review_url: spoof, kubernetes_ca_cert: '' },
        undefined,
        { 'X-Kubernetes-Host': spoof, 'X-Token-Review-Url': spoof, Forwarded: `host=${spoof}` },
      );
      assert.equal(res.status, 403, res.text);
      assert.equal(attackerHits, 0, 'the spoofed endpoint was never called');
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
  });

  test('the server log holds no JWT', () => {
    const output = server.output();
    assert.ok(!output.includes('reviewer-canary'));
  });
});
