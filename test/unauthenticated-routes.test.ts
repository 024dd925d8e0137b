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
import { builtinEngines } from '../src/engines/registry.js';
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
];

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

/** Every (mount path, engine) pair a default server serves. */
function mountedEngines(): { mount: string; engine: Engine }[] {
  // Route tables are data; building them touches no core state, so placeholders are enough here.
  const sys = createSysEngine({} as Core);
  const token = createTokenEngine({} as TokenStore);
  const kv = builtinEngines.find((e) => e.type === 'kv')!;
  const cubbyhole = builtinEngines.find((e) => e.type === 'cubbyhole')!;
  return [
    { mount: 'sys/', engine: sys },
    { mount: 'auth/token/', engine: token },
    { mount: 'secret/', engine: kv },
    { mount: 'cubbyhole/', engine: cubbyhole },
  ];
}

let server: TestServer;
before(async () => {
  server = await startTestServer({ dev: true });
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

test('without a token only the documented allow-list answers', async () => {
  const answered: string[] = [];
  let probes = 0;
  for (const { mount, engine } of mountedEngines()) {
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
  assert.ok(probes > 50, `walked ${probes} routes`);
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
