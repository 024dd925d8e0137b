import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { systemClock } from '../../framework/clock.js';
import type { LogicalResponse } from '../../framework/logical.js';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import { createSigningKey } from '../jwt/testing.js';
import { createKubernetesEngine, kubernetesEngine } from './index.js';
import { startTokenReviewServer, type TokenReviewServer } from './testing.js';

const APP = { namespace: 'payments', name: 'api', uid: '0b7a1c2e-5f1d-4c7b-9a55-3b1f0e6d2a10' };
const REVIEWER_JWT = 'reviewer.jwt.value';

let k8s: TokenReviewServer;
before(async () => {
  k8s = await startTokenReviewServer();
});
after(() => k8s.close());

async function configured(
  engine = kubernetesEngine,
  config: Record<string, unknown> = {},
): Promise<TestMount> {
  // The stand-in's tokens carry real times.
  const mount = await mountForTest(engine, { clock: systemClock });
  await mount.request('update', 'config', {
    kubernetes_host: k8s.url,
    kubernetes_ca_cert: k8s.caPem,
    token_reviewer_jwt: REVIEWER_JWT,
    disable_local_ca_jwt: true,
    ...config,
  });
  await mount.request('update', 'role/app', {
    bound_service_account_names: 'api',
    bound_service_account_namespaces: ['payments', 'team-*'],
    token_policies: 'app',
  });
  return mount;
}

function assertNoToken(error: Error, token: string, name: string) {
  for (const part of token.split('.').filter((p) => p.length > 8)) {
    assert.ok(!error.message.includes(part), `${name}: the error echoes the JWT`);
  }
  assert.ok(!error.message.includes(REVIEWER_JWT), `${name}: the error echoes the reviewer JWT`);
}

test('role quotas: the role a login body names, case-folded as login reads it; none for an unknown one', async () => {
  const mount = await configured();
  const resolve = (data: Record<string, unknown>) => kubernetesEngine.resolveRole!(mount.ctx, data);
  assert.equal(await resolve({ role: 'APP', jwt: 'x' }), 'app');
  assert.equal(await resolve({ role: 'other' }), undefined);
  assert.equal(await resolve({ jwt: 'x' }), undefined, 'the method has no default role');
});

describe('kubernetes config', () => {
  test('validates on write; read never answers the reviewer JWT', async () => {
    const mount = await mountForTest(kubernetesEngine);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /no host provided/],
      [{ kubernetes_host: 'ftp://cluster' }, /http\(s\) URL/],
      [{ kubernetes_host: k8s.url, kubernetes_ca_cert: 'garbage' }, /kubernetes_ca_cert/],
      [{ kubernetes_host: k8s.url, pem_keys: ['nope'] }, /error parsing public key/],
    ];
    for (const [body, message] of cases) {
      const error = await rejection(mount.request('update', 'config', body));
      assert.equal(error.status, 400);
      assert.match(error.message, message);
    }
    await mount.request('update', 'config', { kubernetes_host: k8s.url, token_reviewer_jwt: REVIEWER_JWT });
    const read = await mount.request('read', 'config');
    assert.equal(read?.data?.kubernetes_host, k8s.url);
    assert.equal(read?.data?.token_reviewer_jwt_set, true);
    assert.equal(read?.data?.disable_iss_validation, true);
    assert.ok(!JSON.stringify(read).includes(REVIEWER_JWT));
    assert.equal(read?.data?.token_reviewer_jwt, undefined);
  });
});

describe('kubernetes roles', () => {
  test('create, read, list, delete', async () => {
    const mount = await configured();
    const read = await mount.request('read', 'role/APP');
    assert.deepEqual(read?.data?.bound_service_account_namespaces, ['payments', 'team-*']);
    assert.equal(read?.data?.alias_name_source, 'serviceaccount_uid');
    assert.deepEqual(read?.data?.token_policies, ['app']);
    assert.deepEqual((await mount.request('list', 'role/'))?.data?.keys, ['app']);
    await mount.request('update', 'role/app', { audience: 'vault' });
    assert.deepEqual((await mount.request('read', 'role/app'))?.data?.bound_service_account_names, ['api']);
    await mount.request('delete', 'role/app');
    assert.equal(await mount.request('read', 'role/app'), undefined);
  });

  const invalidRoles: [string, Record<string, unknown>, RegExp][] = [
    ['no names', { bound_service_account_namespaces: 'x' }, /"bound_service_account_names" can not be empty/],
    [
      'no namespaces',
      { bound_service_account_names: 'x' },
      /"bound_service_account_namespaces" can not be empty/,
    ],
    [
      '"*" mixed with names',
      { bound_service_account_names: ['*', 'a'], bound_service_account_namespaces: 'x' },
      /can not mix/,
    ],
    [
      'an unknown alias source',
      { bound_service_account_names: 'a', bound_service_account_namespaces: 'b', alias_name_source: 'pod' },
      /alias_name_source/,
    ],
  ];
  for (const [name, body, message] of invalidRoles) {
    test(`refuses ${name}`, async () => {
      const mount = await mountForTest(kubernetesEngine);
      const error = await rejection(mount.request('update', 'role/r', body));
      assert.equal(error.status, 400);
      assert.match(error.message, message);
    });
  }
});

describe('kubernetes login', () => {
  test('a reviewed service account logs in; the reviewer JWT is the bearer', async () => {
    const mount = await configured();
    const jwt = await k8s.issueToken(APP);
    const seen = k8s.reviews.length;
    const response = (await mount.request('update', 'login', { role: 'app', jwt })) as LogicalResponse;
    const auth = response.auth!;
    assert.equal(auth.displayName, 'payments-api');
    assert.deepEqual(auth.policies, ['app']);
    assert.equal(auth.alias?.name, APP.uid);
    assert.deepEqual(auth.metadata, {
      service_account_uid: APP.uid,
      service_account_name: 'api',
      service_account_namespace: 'payments',
      service_account_secret_name: 'api-token-abcde',
      role: 'app',
    });
    const review = k8s.reviews[seen];
    assert.equal(review.path, '/apis/authentication.k8s.io/v1/tokenreviews');
    assert.equal(review.authorization, `Bearer ${REVIEWER_JWT}`);
    assert.equal((review.body as { spec: { token: string } }).spec.token, jwt);
  });

  test('without a reviewer JWT the client JWT is the bearer; alias by name; globbed namespace', async () => {
    const mount = await configured(kubernetesEngine, { token_reviewer_jwt: '' });
    await mount.request('update', 'role/app', { alias_name_source: 'serviceaccount_name' });
    const account = { ...APP, namespace: 'team-blue' };
    const jwt = await k8s.issueToken(account);
    const seen = k8s.reviews.length;
    const response = await mount.request('update', 'login', { role: 'app', jwt });
    assert.equal(response?.auth?.alias?.name, 'team-blue/api');
    assert.equal(k8s.reviews[seen].authorization, `Bearer ${jwt}`);
  });

  test('projected tokens and the role audience', async () => {
    const mount = await configured();
    await mount.request('update', 'role/app', { audience: 'coffer' });
    const good = await k8s.issueToken(APP, { projected: true, audience: 'coffer' });
    const seen = k8s.reviews.length;
    assert.equal(
      (await mount.request('update', 'login', { role: 'app', jwt: good }))?.auth?.alias?.name,
      APP.uid,
    );
    assert.deepEqual((k8s.reviews[seen].body as { spec: { audiences: string[] } }).spec.audiences, [
      'coffer',
    ]);
    const other = await k8s.issueToken(APP, { projected: true, audience: 'someone-else' });
    const error = await rejection(mount.request('update', 'login', { role: 'app', jwt: other }));
    assert.equal(error.status, 403);
    assert.match(error.message, /audience/);
    // The API server must confirm the audience asked for, not only authenticate the token.
    k8s.setMode('foreignAudience');
    try {
      const refused = await rejection(mount.request('update', 'login', { role: 'app', jwt: good }));
      assert.equal(refused.status, 403);
    } finally {
      k8s.setMode('review');
    }
  });

  test("a role without an audience asks for none: the review is the spec alone, without the token's aud", async () => {
    const mount = await configured();
    await mount.request('update', 'role/app', {});
    const projected = await k8s.issueToken(APP, { projected: true, audience: 'coffer' });
    const seen = k8s.reviews.length;
    await mount.request('update', 'login', { role: 'app', jwt: projected });
    assert.deepEqual(Object.keys(k8s.reviews[seen].body as object), ['spec']);
    assert.deepEqual(Object.keys((k8s.reviews[seen].body as { spec: object }).spec), ['token']);
  });

  test('A5: refusals are 403, a broken API server is a 500, and no error holds a token', async () => {
    const fast = createKubernetesEngine({ reviewTimeoutMs: 300 });
    const mount = await configured(fast);
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
      ['TokenReview says authenticated:false', () => k8s.issueUnknownToken(APP), 403, /lookup failed/],
      [
        'TokenReview names another account',
        () => k8s.issueToken(APP, { reviewedAs: { ...APP, uid: 'other' } }),
        403,
        /another service account/,
      ],
      ['TokenReview 401', async () => good, 403, /HTTP 401/, () => k8s.setMode('unauthorized401')],
      ['TokenReview 500', async () => good, 500, /answered HTTP 500/, () => k8s.setMode('error500')],
      ['TokenReview hangs', async () => good, 500, /timed out after 300 ms/, () => k8s.setMode('hang')],
      ['not a JWT', async () => 'opaque-token-value', 403, /not a signed JWT/],
    ];
    for (const [name, makeToken, status, message, arrange] of cases) {
      k8s.setMode('review');
      arrange?.();
      const jwt = await makeToken();
      const error = await rejection(mount.request('update', 'login', { role: 'app', jwt }));
      assert.equal(error.status, status, name);
      assert.match(error.message, message, name);
      assertNoToken(error, jwt, name);
    }
    k8s.setMode('review');
    assert.ok((await mount.request('update', 'login', { role: 'app', jwt: good }))?.auth);
  });

  test('A5: a host, URL or CA in the login request is ignored', async () => {
    let attackerHits = 0;
    const attacker = createServer((_req, res) => {
      attackerHits += 1;
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          status: {
            authenticated: true,
            user: { username: 'system:serviceaccount:payments:api', uid: APP.uid },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const mount = await configured();
      const forged = await k8s.issueUnknownToken(APP);
      const spoofUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      const error = await rejection(
        mount.request('update', 'login', {
          role: 'app',
          jwt: forged,
          kubernetes_host: spoofUrl,
          token_review_url: `${spoofUrl}/apis/authentication.k8s.io/v1/tokenreviews`,
          kubernetes_ca_cert: 'x',
          token_reviewer_jwt: 'attacker',
        }),
      );
      assert.equal(error.status, 403);
      assert.equal(attackerHits, 0);
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
  });

  test('TLS is verified with kubernetes_ca_cert', async () => {
    const mount = await configured(kubernetesEngine, { kubernetes_ca_cert: '' });
    const jwt = await k8s.issueToken(APP);
    const error = await rejection(mount.request('update', 'login', { role: 'app', jwt }));
    assert.equal(error.status, 500);
    assert.match(error.message, /TokenReview request failed: connection failed/);
  });

  test('pem_keys checks are the JWT method\'s: a token with a "crit" header is a 403 before any review', async () => {
    const mount = await configured(kubernetesEngine, { pem_keys: [k8s.signer.publicPem] });
    const claims = decodeJwt(await k8s.issueToken(APP));
    const withCrit = await new SignJWT(claims)
      .setProtectedHeader({ alg: k8s.signer.alg, kid: k8s.signer.kid, crit: ['x-coffer'], 'x-coffer': 1 })
      .sign(k8s.signer.privateKey, { crit: { 'x-coffer': true } });
    const seen = k8s.reviews.length;
    const error = await rejection(mount.request('update', 'login', { role: 'app', jwt: withCrit }));
    assert.equal(error.status, 403);
    assert.match(error.message, /invalid service account JWT: .*unsupported "crit" header/);
    assert.equal(k8s.reviews.length, seen, 'no TokenReview');
  });

  test('pem_keys verify the JWT locally before any review', async () => {
    const mount = await configured(kubernetesEngine, { pem_keys: [k8s.signer.publicPem] });
    assert.ok(
      (await mount.request('update', 'login', { role: 'app', jwt: await k8s.issueToken(APP) }))?.auth,
    );
    const other = await configured(kubernetesEngine, {
      pem_keys: [(await createSigningKey('x', 'ES256')).publicPem],
    });
    const seen = k8s.reviews.length;
    const error = await rejection(
      other.request('update', 'login', { role: 'app', jwt: await k8s.issueToken(APP) }),
    );
    assert.equal(error.status, 403);
    assert.equal(k8s.reviews.length, seen, 'no TokenReview for a JWT that fails the local check');
  });

  test('input errors are 400; a CIDR miss is 403', async () => {
    const mount = await configured();
    const jwt = await k8s.issueToken(APP);
    assert.match((await rejection(mount.request('update', 'login', { jwt }))).message, /missing role/);
    assert.match((await rejection(mount.request('update', 'login', { role: 'app' }))).message, /missing jwt/);
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'nope', jwt }))).message,
      /invalid role name "nope"/,
    );
    await mount.request('update', 'role/app', { token_bound_cidrs: '10.0.0.0/8' });
    assert.equal((await rejection(mount.request('update', 'login', { role: 'app', jwt }))).status, 403);
  });
});
