/**
 * Walks every registered route without a token: only the documented unauthenticated allow-list
 * (API.md 3.9) may answer anything but 403. A route marked unauthenticated by mistake fails here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Core } from '../src/core/core.js';
import { createSysEngine } from '../src/core/sys/index.js';
import { createTokenEngine } from '../src/core/token/engine.js';
import type { TokenStore } from '../src/core/token/store.js';
import { createIdentityEngine, type IdentityStore } from '../src/engines/identity/index.js';
import { loadBuiltinEngines } from '../src/engines/registry.js';
import type { Engine } from '../src/framework/engine.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

/** Paths Vault serves without a token, relative to /v1/ (regexes over the concrete path). */
const DOCUMENTED_ALLOW_LIST = [
  /^sys\/init$/,
  /^sys\/seal-status$/,
  /^sys\/unseal$/,
  /^sys\/health$/,
  /^sys\/leader$/,
  /^sys\/wrapping\/lookup$/,
  /^sys\/internal\/ui\/mounts(\/.*)?$/,
  // Login paths: the caller has no token yet. Vault: userpass and ldap `login/*`, the others `login`.
  /^auth\/userpass\/login(\/[^/]+)?$/,
  /^auth\/approle\/login$/,
  /^auth\/(jwt|oidc)\/login$/,
  /^auth\/kubernetes\/login$/,
  /^auth\/ldap\/login(\/.+)?$/,
  // PKI's public material, as Vault's pki backend lists it: the CA, the CRL and `cert/*`.
  /^pki\/(ca|ca\/pem|ca_chain|crl|crl\/pem|cert\/[^/]+)$/,
  // Identity tokens' public discovery document and JWKS (Vault: identity's `oidc/.well-known/*`).
  /^identity\/oidc\/\.well-known\/(openid-configuration|keys)$/,
];

/**
 * Where the walk mounts each built-in engine type. A type added to the registry without an entry
 * here fails the walk, so its routes cannot go unprobed.
 */
const MOUNT_OF: Record<string, string> = {
  kv: 'secret/',
  cubbyhole: 'cubbyhole/',
  database: 'database/',
  transit: 'transit/',
  userpass: 'auth/userpass/',
  approle: 'auth/approle/',
  ldap: 'auth/ldap/',
  jwt: 'auth/jwt/',
  oidc: 'auth/oidc/',
  kubernetes: 'auth/kubernetes/',
  pki: 'pki/',
};

/** Mounted by a dev server already (identity/ by every server). */
const DEV_MOUNTS = new Set(['secret/', 'cubbyhole/', 'identity/']);

const METHOD_OF: Record<string, string> = {
  read: 'GET',
  list: 'LIST',
  create: 'POST',
  update: 'POST',
  patch: 'PATCH',
  delete: 'DELETE',
};

function concrete(pattern: string): string {
  return pattern.replace(/:[a-z_]+/gi, 'probe').replace(/\*[a-z_]+/gi, 'probe/deep');
}

/** Every (mount path, engine) pair the server serves once `before` has mounted the rest. */
async function mountedEngines(): Promise<{ mount: string; engine: Engine }[]> {
  // Route tables are data; building them touches no core state, so placeholders are enough here.
  const sys = createSysEngine({} as Core);
  const token = createTokenEngine({} as TokenStore);
  const identity = createIdentityEngine({} as IdentityStore);
  return [
    { mount: 'sys/', engine: sys },
    { mount: 'auth/token/', engine: token },
    { mount: 'identity/', engine: identity },
    ...(await loadBuiltinEngines()).map((engine) => {
      const mount = MOUNT_OF[engine.type];
      assert.ok(mount, `engine type ${engine.type} has no mount in MOUNT_OF, so its routes go unwalked`);
      return { mount, engine };
    }),
  ];
}

let server: TestServer;
before(async () => {
  server = await startTestServer({ dev: true });
  for (const [type, mount] of Object.entries(MOUNT_OF)) {
    if (DEV_MOUNTS.has(mount)) continue;
    const path = mount.startsWith('auth/')
      ? `sys/auth/${mount.slice(5, -1)}`
      : `sys/mounts/${mount.slice(0, -1)}`;
    const res = await server.api('POST', path, { type }, server.rootToken);
    assert.equal(res.status, 204, `mounting ${type} at ${mount}: ${res.text}`);
  }
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

test('without a token only the documented allow-list answers', async () => {
  const answered: string[] = [];
  let probes = 0;
  for (const { mount, engine } of await mountedEngines()) {
    for (const route of engine.routes()) {
      const path = `${mount}${concrete(route.pattern)}`;
      for (const operation of route.operations) {
        const method = METHOD_OF[operation];
        const headers: Record<string, string> =
          method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : {};
        const res = await server.api(
          method,
          path,
          method === 'GET' || method === 'LIST' ? undefined : {},
          undefined,
          headers,
        );
        probes++;
        if (res.status !== 403 && !DOCUMENTED_ALLOW_LIST.some((re) => re.test(path.replace(/\/$/, '')))) {
          answered.push(`${method} ${path} → ${res.status}`);
        }
      }
    }
  }
  assert.ok(probes > 150, `walked ${probes} routes`);
  assert.deepEqual(answered, []);
});

test('A8: a mounted path and an unmounted one answer the same without a token, or with a bad one (CVE-2020-25594)', async () => {
  for (const token of [undefined, 'hvs.not-a-real-token']) {
    for (const method of ['GET', 'POST', 'LIST', 'DELETE']) {
      const body = method === 'POST' ? {} : undefined;
      const mounted = await server.api(method, 'secret/data/some/path', body, token);
      const unmounted = await server.api(method, 'nothing/mounted/here', body, token);
      const underAuth = await server.api(method, 'auth/nothing/login', body, token);
      assert.equal(mounted.status, 403, `${method} mounted, token ${token}`);
      for (const other of [unmounted, underAuth]) {
        assert.equal(other.status, mounted.status, `${method}, token ${token}: ${other.text}`);
        assert.equal(other.text, mounted.text, `${method}, token ${token}: the same body`);
      }
    }
  }
  // A token whose policies do not reach the path gets the same 403; only one allowed there learns more.
  const reader = await server.api('POST', 'auth/token/create', { policies: ['default'] }, server.rootToken);
  const limited: string = reader.body.auth.client_token;
  const mounted = await server.api('GET', 'secret/data/some/path', undefined, limited);
  const unmounted = await server.api('GET', 'nothing/mounted/here', undefined, limited);
  assert.equal(unmounted.status, 403);
  assert.equal(unmounted.text, mounted.text);
  const rooted = await server.api('GET', 'nothing/mounted/here', undefined, server.rootToken);
  assert.equal(rooted.status, 404);
  assert.deepEqual(rooted.body, {
    errors: ['no handler for route "nothing/mounted/here". route entry not found.'],
  });
});
