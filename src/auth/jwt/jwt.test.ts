import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../framework/clock.js';
import { globMatches } from '../../framework/glob.js';
import type { LogicalResponse } from '../../framework/logical.js';
import { mountForTest, rejection, type TestMount } from '../../framework/testing.js';
import { jwtEngine } from './index.js';
import {
  createSigningKey,
  githubActionsClaims,
  hmacWithPublicKey,
  signToken,
  startIdentityProvider,
  type TestIdentityProvider,
  unsignedToken,
} from './testing.js';

const GITHUB_ROLE = {
  role_type: 'jwt',
  user_claim: 'sub',
  bound_audiences: 'https://github.com/org',
  bound_claims: { repository: 'org/repo', ref: ['refs/heads/main', 'refs/heads/release'] },
  claim_mappings: { repository: 'repository', workflow: 'workflow' },
  token_policies: 'deployer',
  token_ttl: '10m',
};

let idp: TestIdentityProvider;
before(async () => {
  idp = await startIdentityProvider();
});
after(() => idp.close());

async function mountWithJwks(): Promise<{ mount: TestMount; now: number; clock: FakeClock }> {
  const clock = new FakeClock();
  const mount = await mountForTest(jwtEngine, { clock });
  await mount.request('update', 'config', { jwks_url: idp.jwksUrl, bound_issuer: idp.issuer });
  await mount.request('update', 'role/github', GITHUB_ROLE);
  return { mount, now: Math.floor(clock.now() / 1000), clock };
}

describe('jwt config', () => {
  test('exactly one key source', async () => {
    const mount = await mountForTest(jwtEngine);
    const none = await rejection(mount.request('update', 'config', { bound_issuer: 'x' }));
    assert.equal(none.status, 400);
    assert.match(none.message, /exactly one of/);
    const key = await createSigningKey('k');
    const two = await rejection(
      mount.request('update', 'config', { jwks_url: idp.jwksUrl, jwt_validation_pubkeys: [key.publicPem] }),
    );
    assert.match(two.message, /exactly one of/);
  });

  test('refuses bad keys, HMAC algorithms, unreachable URLs and stray CA settings', async () => {
    const mount = await mountForTest(jwtEngine);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ jwt_validation_pubkeys: ['not a pem'] }, /error parsing public key/],
      [{ jwks_url: idp.jwksUrl, jwt_supported_algs: ['HS256'] }, /unsupported signing algorithm "HS256"/],
      [{ jwks_url: idp.jwksUrl, jwt_supported_algs: ['none'] }, /unsupported signing algorithm "none"/],
      [{ jwks_url: 'http://127.0.0.1:1/jwks' }, /error checking jwks URL/],
      [{ jwks_url: 'file:///etc/passwd' }, /must be an http\(s\) URL/],
      [{ jwks_url: idp.jwksUrl, jwks_ca_pem: 'garbage' }, /could not parse 'jwks_ca_pem'/],
      [{ jwks_url: idp.jwksUrl, oidc_discovery_ca_pem: 'x' }, /requires 'oidc_discovery_url'/],
      [{ oidc_discovery_url: `${idp.issuer}/elsewhere` }, /error checking oidc discovery URL/],
    ];
    for (const [body, message] of cases) {
      const error = await rejection(mount.request('update', 'config', body));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.match(error.message, message);
    }
    assert.equal(await mount.request('read', 'config'), undefined);
    const withPassword = await rejection(
      mount.request('update', 'config', { jwks_url: 'http://user:s3cret-pw@127.0.0.1:1/jwks' }),
    );
    assert.match(withPassword.message, /error checking jwks URL http:\/\/127\.0\.0\.1:1\/jwks/);
    assert.doesNotMatch(withPassword.message, /s3cret-pw/);
    const withToken = await rejection(
      mount.request('update', 'config', { jwks_url: 'http://127.0.0.1:1/jwks?token=s3cret-tk' }),
    );
    assert.match(withToken.message, /error checking jwks URL http:\/\/127\.0\.0\.1:1\/jwks/);
    assert.doesNotMatch(withToken.message, /s3cret-tk/);
  });

  test('read answers the settings', async () => {
    const mount = await mountForTest(jwtEngine);
    await mount.request('update', 'config', { oidc_discovery_url: idp.issuer, default_role: 'GitHub' });
    const read = await mount.request('read', 'config');
    assert.equal(read?.data?.oidc_discovery_url, idp.issuer);
    assert.equal(read?.data?.default_role, 'github');
    assert.deepEqual(read?.data?.jwt_supported_algs, []);
  });
  test('the OAuth client: both parts stored, the ID read back, the secret never', async () => {
    const mount = await mountForTest(jwtEngine);
    const secret = 'cl1ent-s3cret-value';
    const write = await mount.request('update', 'config', {
      oidc_discovery_url: idp.issuer,
      oidc_client_id: 'coffer-app',
      oidc_client_secret: secret,
    });
    assert.equal(write?.warnings, undefined, 'both are known parameters, not ignored ones');
    const read = await mount.request('read', 'config');
    assert.equal(read?.data?.oidc_client_id, 'coffer-app');
    assert.equal(Object.hasOwn(read?.data ?? {}, 'oidc_client_secret'), false);
    assert.doesNotMatch(JSON.stringify(read), /cl1ent-s3cret/);
    const stored = await mount.ctx.storage.getJson<Record<string, unknown>>('config');
    assert.equal(stored?.oidcClientSecret, secret, 'kept in the mount storage, behind the barrier');
    // A write replaces the whole config, as in Vault: one without the client drops both parts.
    await mount.request('update', 'config', { oidc_discovery_url: idp.issuer });
    assert.equal((await mount.request('read', 'config'))?.data?.oidc_client_id, '');
    assert.equal((await mount.ctx.storage.getJson<Record<string, unknown>>('config'))?.oidcClientSecret, '');
  });

  test("Vault's rules for the OAuth client and jwks_pairs, in Vault's order and words", async () => {
    const mount = await mountForTest(jwtEngine);
    const key = await createSigningKey('k');
    const secret = 'cl1ent-s3cret-value';
    const both = "both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC";
    const needsDiscovery = "'oidc_discovery_url' must be set for OIDC";
    const exactlyOne =
      "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set";
    const pairs = [{ jwks_url: idp.jwksUrl }];
    const cases: [string, Record<string, unknown>, string][] = [
      ['an ID without a secret', { oidc_discovery_url: idp.issuer, oidc_client_id: 'app' }, both],
      ['a secret without an ID', { oidc_discovery_url: idp.issuer, oidc_client_secret: secret }, both],
      [
        'an ID without a secret, before the key source',
        { jwks_url: idp.jwksUrl, oidc_client_id: 'app' },
        both,
      ],
      [
        'a client with a JWKS URL',
        { jwks_url: idp.jwksUrl, oidc_client_id: 'app', oidc_client_secret: secret },
        needsDiscovery,
      ],
      [
        'a client with static keys',
        { jwt_validation_pubkeys: [key.publicPem], oidc_client_id: 'app', oidc_client_secret: secret },
        needsDiscovery,
      ],
      ['a client and no key source', { oidc_client_id: 'app', oidc_client_secret: secret }, exactlyOne],
      ['jwks_pairs with a JWKS URL', { jwks_pairs: pairs, jwks_url: idp.jwksUrl }, exactlyOne],
      ['jwks_pairs with discovery', { jwks_pairs: pairs, oidc_discovery_url: idp.issuer }, exactlyOne],
      [
        'jwks_pairs with a client',
        { jwks_pairs: pairs, oidc_client_id: 'app', oidc_client_secret: secret },
        needsDiscovery,
      ],
      [
        'jwks_pairs with jwks_ca_pem',
        { jwks_pairs: pairs, jwks_ca_pem: 'x' },
        "CA PEMs must be provided as part of the 'jwks_pairs' when using multiple JWKS URLs",
      ],
      [
        'jwks_pairs with bound_issuer',
        { jwks_pairs: pairs, bound_issuer: idp.issuer },
        "Bound issuer is not supported for use with 'jwks_pairs'",
      ],
      [
        'jwks_pairs alone (Coffer verifies with one key source)',
        { jwks_pairs: pairs },
        "'jwks_pairs' is not supported; set 'jwks_url' (and 'jwks_ca_pem') instead",
      ],
    ];
    for (const [name, body, message] of cases) {
      const error = await rejection(mount.request('update', 'config', body));
      assert.equal(error.status, 400, name);
      assert.equal(error.message, message, name);
      assert.doesNotMatch(error.message, /cl1ent-s3cret/, name);
    }
    assert.equal(await mount.request('read', 'config'), undefined, 'nothing was stored');
    // An empty jwks_pairs list names no source, as in Vault.
    await mount.request('update', 'config', { jwks_pairs: [], jwks_url: idp.jwksUrl });
    assert.equal((await mount.request('read', 'config'))?.data?.jwks_url, idp.jwksUrl);
  });

  test('no OIDC browser flow: oidc/auth_url and oidc/callback are unsupported paths, client or not', async () => {
    const mount = await mountForTest(jwtEngine);
    await mount.request('update', 'config', {
      oidc_discovery_url: idp.issuer,
      oidc_client_id: 'coffer-app',
      oidc_client_secret: 'cl1ent-s3cret-value',
    });
    for (const [operation, path] of [
      ['update', 'oidc/auth_url'],
      ['read', 'oidc/callback'],
    ] as const) {
      const error = await rejection(mount.request(operation, path, { role: 'r', redirect_uri: 'https://x' }));
      assert.equal(error.status, 404, path);
      assert.equal(error.message, 'unsupported path', path);
    }
  });
});

describe('jwt roles', () => {
  test('create, read with defaults, list, delete', async () => {
    const mount = await mountForTest(jwtEngine);
    await mount.request('update', 'role/GitHub', GITHUB_ROLE);
    const read = await mount.request('read', 'role/github');
    assert.equal(read?.data?.user_claim, 'sub');
    assert.equal(read?.data?.clock_skew_leeway, 60);
    assert.equal(read?.data?.expiration_leeway, 150);
    assert.equal(read?.data?.not_before_leeway, 150);
    assert.equal(read?.data?.bound_claims_type, 'string');
    assert.deepEqual(read?.data?.token_policies, ['deployer']);
    assert.equal(read?.data?.token_ttl, 600);
    await mount.request('update', 'role/github', {
      role_type: 'jwt',
      bound_subject: 'repo:org/repo:ref:refs/heads/main',
    });
    const updated = await mount.request('read', 'role/github');
    assert.equal(updated?.data?.user_claim, 'sub', 'an update keeps the fields it does not name');
    assert.equal(updated?.data?.expiration_leeway, 150);
    assert.deepEqual((await mount.request('list', 'role/'))?.data?.keys, ['github']);
    await mount.request('delete', 'role/github');
    assert.equal(await mount.request('read', 'role/github'), undefined);
  });

  const invalidRoles: [string, Record<string, unknown>, RegExp][] = [
    ['no user claim', { bound_subject: 's' }, /a user claim must be defined/],
    ['no bound constraint', { role_type: 'jwt', user_claim: 'sub' }, /at least one bound constraint/],
    [
      'an oidc role (the default type) without redirect URIs',
      { user_claim: 'sub', bound_audiences: 'a' },
      /^'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified\.$/,
    ],
    ['an unknown role type', { ...GITHUB_ROLE, role_type: 'saml' }, /invalid 'role_type'/],
    ['an unknown bound_claims_type', { ...GITHUB_ROLE, bound_claims_type: 'regex' }, /bound_claims_type/],
    [
      'a glob on a number',
      { ...GITHUB_ROLE, bound_claims_type: 'glob', bound_claims: { run: 3 } },
      /not a string/,
    ],
    ['a nested bound claim', { ...GITHUB_ROLE, bound_claims: { a: { b: 'c' } } }, /not a string or list/],
    ['a mapping onto "role"', { ...GITHUB_ROLE, claim_mappings: { repository: 'role' } }, /reserved/],
    ['two claims onto one key', { ...GITHUB_ROLE, claim_mappings: { a: 'x', b: 'x' } }, /multiple keys/],
    ['a bad CIDR', { ...GITHUB_ROLE, token_bound_cidrs: 'nope' }, /invalid CIDR/],
  ];
  test('role_type defaults to oidc (Vault); an oidc role is stored, read back, and refused at login', async () => {
    const { mount, now } = await mountWithJwks();
    await mount.request('update', 'role/browser', {
      user_claim: 'sub',
      allowed_redirect_uris: ['https://app.example/callback'],
      oidc_scopes: 'email',
    });
    const read = await mount.request('read', 'role/browser');
    assert.equal(read?.data?.role_type, 'oidc');
    assert.deepEqual(read?.data?.allowed_redirect_uris, ['https://app.example/callback']);
    assert.deepEqual(read?.data?.oidc_scopes, ['email']);
    await mount.request('update', 'role/explicit', {
      ...GITHUB_ROLE,
      role_type: 'oidc',
      allowed_redirect_uris: 'x',
    });
    assert.equal((await mount.request('read', 'role/explicit'))?.data?.role_type, 'oidc');
    assert.equal((await mount.request('read', 'role/github'))?.data?.role_type, 'jwt');
    const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
    for (const role of ['browser', 'explicit']) {
      const error = await rejection(mount.request('update', 'login', { role, jwt: token }));
      assert.equal(error.status, 400);
      assert.equal(error.message, 'role with oidc role_type is not allowed');
    }
  });

  test('an update that leaves out role_type makes the role oidc again, as in Vault', async () => {
    const { mount, now } = await mountWithJwks();
    // Vault takes a missing role_type as "oidc" on every write, and an oidc role needs redirect URIs.
    const refused = await rejection(mount.request('update', 'role/github', { token_ttl: '5m' }));
    assert.equal(refused.status, 400);
    assert.equal(
      refused.message,
      "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
    );
    const kept = await mount.request('read', 'role/github');
    assert.equal(kept?.data?.role_type, 'jwt', 'a refused update changes nothing');
    assert.equal(kept?.data?.token_ttl, 600);
    await mount.request('update', 'role/github', { role_type: 'jwt', token_ttl: '5m' });
    assert.equal((await mount.request('read', 'role/github'))?.data?.role_type, 'jwt');
    // With redirect URIs stored, the same omission is accepted and the role is oidc from then on.
    await mount.request('update', 'role/github', {
      role_type: 'jwt',
      allowed_redirect_uris: 'https://app/cb',
    });
    await mount.request('update', 'role/github', { token_ttl: '6m' });
    assert.equal((await mount.request('read', 'role/github'))?.data?.role_type, 'oidc');
    const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
    const login = await rejection(mount.request('update', 'login', { role: 'github', jwt: token }));
    assert.equal(login.message, 'role with oidc role_type is not allowed');
  });

  for (const [name, body, message] of invalidRoles) {
    test(`refuses ${name}`, async () => {
      const mount = await mountForTest(jwtEngine);
      const error = await rejection(mount.request('update', 'role/r', body));
      assert.equal(error.status, 400);
      assert.match(error.message, message);
    });
  }
});

describe('jwt login', () => {
  test('a GitHub Actions token logs in: display name, alias, metadata, groups, token settings', async () => {
    const { mount, now } = await mountWithJwks();
    await mount.request('update', 'role/github', { role_type: 'jwt', groups_claim: 'teams' });
    const token = await signToken(idp.keys[0], {
      ...githubActionsClaims(idp.issuer, now),
      teams: ['ops', ''],
    });
    const response = (await mount.request('update', 'login', {
      role: 'github',
      jwt: token,
    })) as LogicalResponse;
    const auth = response.auth!;
    assert.equal(auth.displayName, 'repo:org/repo:ref:refs/heads/main');
    assert.deepEqual(auth.alias, {
      name: 'repo:org/repo:ref:refs/heads/main',
      metadata: { repository: 'org/repo', workflow: 'deploy' },
    });
    assert.deepEqual(auth.metadata, { repository: 'org/repo', workflow: 'deploy', role: 'github' });
    assert.deepEqual(auth.internalData, { role: 'github', groups: ['ops'] });
    assert.deepEqual(auth.policies, ['deployer']);
    assert.equal(auth.ttlSeconds, 600);
  });

  test('default_role applies when the login names no role', async () => {
    const { mount, now } = await mountWithJwks();
    await mount.request('update', 'config', { jwks_url: idp.jwksUrl, default_role: 'github' });
    const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
    assert.ok((await mount.request('update', 'login', { jwt: token }))?.auth);
  });

  test('role quotas: the role a login body names, else default_role, and only roles that exist', async () => {
    const { mount } = await mountWithJwks();
    const resolve = (data: Record<string, unknown>) => jwtEngine.resolveRole!(mount.ctx, data);
    assert.equal(await resolve({ role: 'GitHub', jwt: 'x' }), 'github');
    assert.equal(await resolve({ role: 'nope' }), undefined);
    assert.equal(await resolve({ jwt: 'x' }), undefined, 'no role and no default_role');
    await mount.request('update', 'config', { jwks_url: idp.jwksUrl, default_role: 'github' });
    assert.equal(await resolve({ jwt: 'x' }), 'github');
    assert.equal(await resolve({ role: 7 }), 'github', 'a non-string role is no role');
  });

  test('A4: hostile and invalid tokens are refused with 400 and never echoed', async () => {
    const { mount, now } = await mountWithJwks();
    await mount.request('update', 'role/noaud', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_claims: { repository: 'org/repo' },
    });
    const key = idp.keys[0];
    const claims = githubActionsClaims(idp.issuer, now);
    const stranger = await createSigningKey('key-1');
    const unknownKid = await createSigningKey('not-published');
    const cases: [string, string, string, RegExp][] = [
      [
        'alg none',
        'github',
        unsignedToken(claims, key.kid),
        /^error validating token: invalid algorithm \(alg\) header parameter: token signed with unexpected algorithm$/,
      ],
      [
        'HS256 signed with the RSA public key',
        'github',
        hmacWithPublicKey(key, claims),
        /^error validating token: invalid algorithm \(alg\) header parameter: token signed with unexpected algorithm$/,
      ],
      [
        'exp beyond the leeway',
        'github',
        await signToken(key, { ...claims, exp: now - 61, iat: now - 400, nbf: now - 400 }),
        /^error validating token: invalid expiration time \(exp\) claim: token is expired$/,
      ],
      [
        'nbf beyond the leeway',
        'github',
        await signToken(key, { ...claims, nbf: now + 61, iat: now }),
        /^error validating token: invalid not before \(nbf\) claim: token not yet valid$/,
      ],
      [
        'iat in the future',
        'github',
        await signToken(key, { ...claims, iat: now + 120, nbf: undefined }),
        /^error validating token: invalid (not before \(nbf\) claim: token not yet valid|issued at \(iat\) claim: token issued in the future)$/,
      ],
      [
        'no time claims at all',
        'github',
        await signToken(key, { ...claims, iat: undefined, nbf: undefined, exp: undefined }),
        /^error validating token: no issued at \(iat\), not before \(nbf\), or expiration time \(exp\) claims in token$/,
      ],
      [
        'a wrong iss',
        'github',
        await signToken(key, { ...claims, iss: 'https://evil.example' }),
        /^error validating token: invalid issuer \(iss\) claim$/,
      ],
      [
        'aud as a single string not bound',
        'github',
        await signToken(key, { ...claims, aud: 'https://github.com/other' }),
        /^error validating token: invalid audience \(aud\) claim: audience claim does not match any expected audience$/,
      ],
      [
        'aud present but the role binds none (CVE-2024-5798)',
        'noaud',
        await signToken(key, claims),
        /^audience claim found in JWT but no audiences bound to the role$/,
      ],
      [
        'aud as a list when the role binds none',
        'noaud',
        await signToken(key, { ...claims, aud: ['x'] }),
        /no audiences bound/,
      ],
      [
        'an unknown kid',
        'github',
        await signToken(unknownKid, claims),
        /^error validating token: error verifying token signature: no key in the JWKS matches/,
      ],
      [
        'the right kid signed by another key',
        'github',
        await signToken(stranger, claims),
        /^error validating token: error verifying token signature: no known key successfully validated the token signature$/,
      ],
      [
        'a bound claim that differs',
        'github',
        await signToken(key, { ...claims, repository: 'org/other' }),
        /^error validating claims: claim "repository" does not match any associated bound claim values$/,
      ],
      [
        'a bound claim that is missing',
        'github',
        await signToken(key, { ...claims, ref: undefined }),
        /^error validating claims: claim "ref" is missing$/,
      ],
      [
        'a malformed token',
        'github',
        'not.a.jwt',
        /^error validating token: error verifying token signature: not a compact JWS$/,
      ],
      [
        'a tampered payload',
        'github',
        tamper(await signToken(key, claims)),
        /no known key successfully validated/,
      ],
    ];
    for (const [name, role, token, message] of cases) {
      const error = await rejection(mount.request('update', 'login', { role, jwt: token }));
      assert.equal(error.status, 400, name);
      assert.match(error.message, message, name);
      for (const part of token.split('.').filter((p) => p.length > 8)) {
        assert.ok(!error.message.includes(part), `${name}: the error echoes the token`);
      }
    }
  });

  test('A4: keys or JWKS URLs in the login request are ignored', async () => {
    const { mount, now } = await mountWithJwks();
    const attacker = await startIdentityProvider([await createSigningKey('key-1')]);
    try {
      const forged = await signToken(attacker.keys[0], githubActionsClaims(idp.issuer, now));
      const error = await rejection(
        mount.request('update', 'login', {
          role: 'github',
          jwt: forged,
          jwks_url: attacker.jwksUrl,
          oidc_discovery_url: attacker.issuer,
          jwt_validation_pubkeys: [attacker.keys[0].publicPem],
          bound_issuer: attacker.issuer,
        }),
      );
      assert.equal(error.status, 400);
      assert.equal(attacker.jwksFetches(), 0, 'the attacker JWKS was never fetched');
      const good = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
      const response = await mount.request('update', 'login', {
        role: 'github',
        jwt: good,
        jwks_url: attacker.jwksUrl,
      });
      assert.match(response?.warnings?.join() ?? '', /ignored these unrecognized parameters: \[jwks_url\]/);
    } finally {
      await attacker.close();
    }
  });

  test('leeways: inside the clock skew is accepted, -1 disables it', async () => {
    const { mount, now } = await mountWithJwks();
    const claims = githubActionsClaims(idp.issuer, now);
    const key = idp.keys[0];
    const late = await signToken(key, { ...claims, exp: now - 30, iat: now - 300, nbf: now - 300 });
    assert.ok((await mount.request('update', 'login', { role: 'github', jwt: late }))?.auth);
    const early = await signToken(key, { ...claims, nbf: now + 30, iat: now - 1 });
    assert.ok((await mount.request('update', 'login', { role: 'github', jwt: early }))?.auth);
    await mount.request('update', 'role/github', { role_type: 'jwt', clock_skew_leeway: -1 });
    assert.equal(
      (await rejection(mount.request('update', 'login', { role: 'github', jwt: late }))).status,
      400,
    );
    // Without exp, expiry is iat + expiration_leeway (150s by default).
    await mount.request('update', 'role/github', { role_type: 'jwt', clock_skew_leeway: 0 });
    const noExp = await signToken(key, { ...claims, exp: undefined, iat: now - 100, nbf: now - 100 });
    assert.ok((await mount.request('update', 'login', { role: 'github', jwt: noExp }))?.auth);
    const staleNoExp = await signToken(key, { ...claims, exp: undefined, iat: now - 300, nbf: now - 300 });
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'github', jwt: staleNoExp }))).message,
      /expired/,
    );
  });

  test('bound_claims glob, list values, bound_subject', async () => {
    const { mount, now } = await mountWithJwks();
    await mount.request('update', 'role/glob', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['https://github.com/org'],
      bound_claims_type: 'glob',
      bound_claims: { repository: 'org/*', ref: ['refs/tags/v*', 'refs/heads/main'] },
      bound_subject: 'repo:org/repo:ref:refs/heads/main',
    });
    const key = idp.keys[0];
    const ok = await signToken(key, githubActionsClaims(idp.issuer, now));
    assert.ok((await mount.request('update', 'login', { role: 'glob', jwt: ok }))?.auth);
    const otherOrg = await signToken(key, githubActionsClaims(idp.issuer, now, { repository: 'evil/repo' }));
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'glob', jwt: otherOrg }))).message,
      /repository/,
    );
    const otherSub = await signToken(
      key,
      githubActionsClaims(idp.issuer, now, { sub: 'repo:org/repo:pull_request' }),
    );
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'glob', jwt: otherSub }))).message,
      /subject/,
    );
    const audList = await signToken(
      key,
      githubActionsClaims(idp.issuer, now, { aud: ['a', 'https://github.com/org'] }),
    );
    assert.ok((await mount.request('update', 'login', { role: 'glob', jwt: audList }))?.auth);
    // Vault reads bound_claims_type with its default on every write: an update that leaves it out
    // makes the glob patterns exact strings again, so the login they matched is refused.
    await mount.request('update', 'role/glob', { role_type: 'jwt', user_claim: 'sub' });
    assert.equal((await mount.request('read', 'role/glob'))?.data?.bound_claims_type, 'string');
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'glob', jwt: ok }))).message,
      /repository/,
    );
  });

  test('role, config and CIDR errors', async () => {
    const fresh = await mountForTest(jwtEngine);
    assert.match(
      (await rejection(fresh.request('update', 'login', { role: 'x', jwt: 'a.b.c' }))).message,
      /could not load configuration/,
    );
    const { mount, now } = await mountWithJwks();
    const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
    assert.match((await rejection(mount.request('update', 'login', { jwt: token }))).message, /missing role/);
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'nope', jwt: token }))).message,
      /role "nope" could not be found/,
    );
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'github' }))).message,
      /missing token/,
    );
    await mount.request('update', 'role/github', { role_type: 'jwt', token_bound_cidrs: ['10.0.0.0/8'] });
    assert.equal(
      (await rejection(mount.request('update', 'login', { role: 'github', jwt: token }))).status,
      403,
    );
    // A missing user claim is a 400.
    await mount.request('update', 'role/github', {
      role_type: 'jwt',
      token_bound_cidrs: [],
      user_claim: 'email',
    });
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'github', jwt: token }))).message,
      /claim "email" not found/,
    );
  });

  test('an unknown kid refetches the JWKS at once (Vault), one fetch at a time and one per second', async () => {
    const { mount, now, clock } = await mountWithJwks();
    const key = idp.keys[0];
    const claims = githubActionsClaims(idp.issuer, now);
    await mount.request('update', 'login', { role: 'github', jwt: await signToken(key, claims) });
    const before = idp.jwksFetches();
    const rotated = await createSigningKey(`rotated-${now}`);
    const bogus = await signToken(rotated, claims);
    const login = (jwt: string) => mount.request('update', 'login', { role: 'github', jwt });
    try {
      await rejection(login(bogus));
      assert.equal(idp.jwksFetches(), before, 'no refetch within a second of the last fetch');
      clock.advance(1_000);
      await Promise.all(Array.from({ length: 5 }, () => rejection(login(bogus))));
      assert.equal(idp.jwksFetches(), before + 1, 'concurrent misses share one fetch');
      for (let i = 0; i < 5; i++) await rejection(login(bogus));
      assert.equal(idp.jwksFetches(), before + 1, 'a flood inside the gap fetches nothing');
      // A rotation: the provider publishes the new key, and the next login with it succeeds at once.
      idp.addKey(rotated);
      clock.advance(1_000);
      assert.ok((await login(await signToken(rotated, claims)))?.auth);
      assert.equal(idp.jwksFetches(), before + 2);
    } finally {
      idp.keys.pop();
    }
  });

  test('JWKS keys of every family verify (imported by jose, checked by node:crypto)', async () => {
    const { mount, now, clock } = await mountWithJwks();
    const claims = githubActionsClaims(idp.issuer, now);
    for (const alg of ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS512']) {
      const key = await createSigningKey(`family-${alg}`, alg);
      idp.addKey(key);
      clock.advance(1_000); // past the refetch gap, so the new kid is fetched
      try {
        const jwt = await signToken(key, claims);
        assert.ok((await mount.request('update', 'login', { role: 'github', jwt }))?.auth, alg);
        // The same key under another kid's algorithm is not a match for it.
        const misnamed = await signToken(key, claims, { kid: idp.keys[0].kid });
        assert.match(
          (await rejection(mount.request('update', 'login', { role: 'github', jwt: misnamed }))).message,
          /no key in the JWKS matches|no known key successfully validated/,
          alg,
        );
      } finally {
        idp.keys.pop();
      }
    }
  });

  test('static PEM keys: with no jwt_supported_algs every asymmetric alg verifies (Vault), a list narrows it', async () => {
    const clock = new FakeClock();
    const now = Math.floor(clock.now() / 1000);
    for (const alg of ['ES256', 'EdDSA', 'PS256']) {
      const key = await createSigningKey('pem', alg);
      const mount = await mountForTest(jwtEngine, { clock });
      await mount.request('update', 'config', { jwt_validation_pubkeys: [key.publicPem] });
      await mount.request('update', 'role/github', GITHUB_ROLE);
      const token = await signToken(key, githubActionsClaims(idp.issuer, now));
      assert.ok((await mount.request('update', 'login', { role: 'github', jwt: token }))?.auth, alg);
      await mount.request('update', 'config', {
        jwt_validation_pubkeys: [key.publicPem],
        jwt_supported_algs: ['RS256'],
      });
      assert.match(
        (await rejection(mount.request('update', 'login', { role: 'github', jwt: token }))).message,
        /unexpected algorithm/,
        alg,
      );
    }
  });

  test('OIDC discovery: keys from jwks_uri, and the token must carry the provider issuer', async () => {
    const clock = new FakeClock();
    const mount = await mountForTest(jwtEngine, { clock });
    await mount.request('update', 'config', { oidc_discovery_url: idp.issuer });
    await mount.request('update', 'role/github', GITHUB_ROLE);
    const now = Math.floor(clock.now() / 1000);
    const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
    assert.ok((await mount.request('update', 'login', { role: 'github', jwt: token }))?.auth);
    const foreign = await signToken(idp.keys[0], githubActionsClaims('https://other.example', now));
    assert.match(
      (await rejection(mount.request('update', 'login', { role: 'github', jwt: foreign }))).message,
      /invalid issuer/,
    );
  });

  test('a JWKS that is down is a 400 naming no token', async () => {
    const { mount, now } = await mountWithJwks();
    idp.setFailing(true);
    try {
      const token = await signToken(idp.keys[0], githubActionsClaims(idp.issuer, now));
      const error = await rejection(mount.request('update', 'login', { role: 'github', jwt: token }));
      assert.equal(error.status, 400);
      assert.match(error.message, /error fetching jwks keyset: HTTP 500/);
    } finally {
      idp.setFailing(false);
    }
  });
});

test('glob matching', () => {
  const cases: [string, string, boolean][] = [
    ['org/*', 'org/repo', true],
    ['org/*', 'org/', true],
    ['org/*', 'orga/repo', false],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['*main', 'refs/heads/main', true],
    ['ab*ba', 'aba', false],
    ['exact', 'exact', true],
  ];
  for (const [pattern, value, expected] of cases)
    assert.equal(globMatches(pattern, value), expected, `${pattern} ~ ${value}`);
});

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.repository = 'org/repo';
  claims.sub = 'repo:org/repo:ref:refs/heads/release';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
