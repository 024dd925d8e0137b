/**
 * Vault's documented ACL rules as a table of real requests against a real server (API.md 9), plus a
 * property test: for random policy sets and paths, `sys/capabilities-self` predicts what the server
 * actually allows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mulberry32 } from '../src/framework/seeded-random.js';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let root: string;
before(async () => {
  server = await startTestServer({ dev: true });
  root = server.rootToken;
  await server.api('POST', 'sys/mounts/p', { type: 'kv', options: { version: '1' } }, root);
});
after(async () => {
  await server.stop();
  await removeServerDir(server);
});

let policyCounter = 0;
async function tokenWith(policies: string[]): Promise<string> {
  const names: string[] = [];
  for (const text of policies) {
    const name = `matrix-${policyCounter++}`;
    const res = await server.api('PUT', `sys/policies/acl/${name}`, { policy: text }, root);
    assert.equal(res.status, 204, res.text);
    names.push(name);
  }
  const created = await server.api(
    'POST',
    'auth/token/create',
    { policies: names, no_default_policy: true },
    root,
  );
  return created.body.auth.client_token;
}

const rule = (path: string, caps: string[], extra = '') =>
  `path "${path}" {\n  capabilities = ${JSON.stringify(caps)}\n${extra}}\n`;

interface Case {
  name: string;
  policies: string[];
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  allowed: boolean;
}

const R = 'GET';
const W = 'POST';
const L = 'LIST';
const D = 'DELETE';
const v = { k: 'v' };

const cases: Case[] = [
  // Exact and glob
  {
    name: 'an exact rule grants its path',
    policies: [rule('p/a', ['read'])],
    method: R,
    path: 'p/a',
    allowed: true,
  },
  {
    name: 'an exact rule does not grant a child',
    policies: [rule('p/a', ['read'])],
    method: R,
    path: 'p/a/b',
    allowed: false,
  },
  {
    name: 'an exact rule does not grant a sibling with the same prefix',
    policies: [rule('p/a', ['read'])],
    method: R,
    path: 'p/ab',
    allowed: false,
  },
  {
    name: 'a glob grants everything under its prefix',
    policies: [rule('p/a/*', ['read'])],
    method: R,
    path: 'p/a/b/c',
    allowed: true,
  },
  {
    name: 'a glob is a plain string prefix',
    policies: [rule('p/a*', ['read'])],
    method: R,
    path: 'p/abc',
    allowed: true,
  },
  {
    name: 'a glob does not grant its own folder without the slash',
    policies: [rule('p/a/*', ['read'])],
    method: R,
    path: 'p/a',
    allowed: false,
  },
  {
    name: 'an exact deny beats a glob allow',
    policies: [rule('p/a/*', ['read']), rule('p/a/b', ['deny'])],
    method: R,
    path: 'p/a/b',
    allowed: false,
  },
  {
    name: 'an exact allow beats a glob deny',
    policies: [rule('p/a/*', ['deny']), rule('p/a/b', ['read'])],
    method: R,
    path: 'p/a/b',
    allowed: true,
  },
  {
    name: 'the longest glob wins (deny)',
    policies: [rule('p/*', ['read']), rule('p/a/*', ['deny'])],
    method: R,
    path: 'p/a/x',
    allowed: false,
  },
  {
    name: 'the longest glob wins (allow)',
    policies: [rule('p/*', ['deny']), rule('p/a/*', ['read'])],
    method: R,
    path: 'p/a/x',
    allowed: true,
  },
  {
    name: 'a shorter glob still governs other branches',
    policies: [rule('p/*', ['read']), rule('p/a/*', ['deny'])],
    method: R,
    path: 'p/b/x',
    allowed: true,
  },
  {
    name: 'rules for different patterns are not merged',
    policies: [rule('p/*', ['read']), rule('p/a/*', ['update'])],
    method: R,
    path: 'p/a/x',
    allowed: false,
  },
  // + wildcard
  {
    name: 'plus matches exactly one segment',
    policies: [rule('p/+/x', ['read'])],
    method: R,
    path: 'p/a/x',
    allowed: true,
  },
  {
    name: 'plus does not match two segments',
    policies: [rule('p/+/x', ['read'])],
    method: R,
    path: 'p/a/b/x',
    allowed: false,
  },
  {
    name: 'plus does not match an empty segment',
    policies: [rule('p/+/x', ['read'])],
    method: R,
    path: 'p/x',
    allowed: false,
  },
  {
    name: 'plus followed by a glob',
    policies: [rule('p/+/x*', ['read'])],
    method: R,
    path: 'p/a/xyz/deep',
    allowed: true,
  },
  {
    name: 'two plus segments',
    policies: [rule('p/+/+/z', ['read'])],
    method: R,
    path: 'p/a/b/z',
    allowed: true,
  },
  {
    name: 'a later first wildcard has priority (glob beats earlier plus)',
    policies: [rule('p/+/x', ['read']), rule('p/a/*', ['deny'])],
    method: R,
    path: 'p/a/x',
    allowed: false,
  },
  {
    name: 'a later first wildcard has priority (plus beats earlier glob)',
    policies: [rule('p/*', ['deny']), rule('p/a/+', ['read'])],
    method: R,
    path: 'p/a/x',
    allowed: true,
  },
  {
    name: 'at the same wildcard position a non-glob beats a glob',
    policies: [rule('p/a/+/*', ['deny']), rule('p/a/+/x', ['read'])],
    method: R,
    path: 'p/a/b/x',
    allowed: true,
  },
  {
    name: 'fewer plus segments win',
    policies: [rule('p/a/+/+', ['deny']), rule('p/a/+/c', ['read'])],
    method: R,
    path: 'p/a/b/c',
    allowed: true,
  },
  {
    name: 'the longer of two plus patterns wins',
    policies: [rule('p/a/+/c*', ['deny']), rule('p/a/+/cd*', ['read'])],
    method: R,
    path: 'p/a/b/cde',
    allowed: true,
  },
  {
    name: 'an exact rule beats any plus rule',
    policies: [rule('p/+/x', ['deny']), rule('p/a/x', ['read'])],
    method: R,
    path: 'p/a/x',
    allowed: true,
  },
  // Union across policies
  {
    name: 'the same pattern in two policies unions capabilities (read)',
    policies: [rule('p/u', ['read']), rule('p/u', ['update'])],
    method: R,
    path: 'p/u',
    allowed: true,
  },
  {
    name: 'the same pattern in two policies unions capabilities (write)',
    policies: [rule('p/u', ['read']), rule('p/u', ['update', 'create'])],
    method: W,
    path: 'p/u',
    body: v,
    allowed: true,
  },
  {
    name: 'deny in one policy wins over the union',
    policies: [rule('p/u', ['read']), rule('p/u', ['deny'])],
    method: R,
    path: 'p/u',
    allowed: false,
  },
  {
    name: 'deny overrides sudo',
    policies: [rule('sys/audit', ['read', 'sudo']), rule('sys/audit', ['deny'])],
    method: R,
    path: 'sys/audit',
    allowed: false,
  },
  // Operations
  {
    name: 'read does not allow list',
    policies: [rule('p/l/*', ['read'])],
    method: L,
    path: 'p/l/',
    allowed: false,
  },
  {
    name: 'list on a folder glob',
    policies: [rule('p/l/*', ['list'])],
    method: L,
    path: 'p/l/',
    allowed: true,
  },
  {
    name: 'list via ?list=true needs list too',
    policies: [rule('p/l/*', ['read'])],
    method: R,
    path: 'p/l/?list=true',
    allowed: false,
  },
  {
    name: 'list via ?list=true with list',
    policies: [rule('p/l/*', ['list'])],
    method: R,
    path: 'p/l/?list=true',
    allowed: true,
  },
  {
    name: 'list matches an exact pattern without the trailing slash',
    policies: [rule('p/l', ['list'])],
    method: L,
    path: 'p/l',
    allowed: true,
  },
  {
    name: 'list does not allow read',
    policies: [rule('p/l/*', ['list'])],
    method: R,
    path: 'p/l/x',
    allowed: false,
  },
  {
    name: 'create allows writing a new key',
    policies: [rule('p/new/*', ['create'])],
    method: W,
    path: 'p/new/one',
    body: v,
    allowed: true,
  },
  {
    name: 'update alone does not allow creating a new key',
    policies: [rule('p/new/*', ['update'])],
    method: W,
    path: 'p/new/two',
    body: v,
    allowed: false,
  },
  {
    name: 'create alone does not allow overwriting an existing key',
    policies: [rule('p/existing', ['create'])],
    method: W,
    path: 'p/existing',
    body: v,
    allowed: false,
  },
  {
    name: 'update allows overwriting an existing key',
    policies: [rule('p/existing', ['update'])],
    method: W,
    path: 'p/existing',
    body: v,
    allowed: true,
  },
  {
    name: 'delete needs delete',
    policies: [rule('p/d', ['read', 'update'])],
    method: D,
    path: 'p/d',
    allowed: false,
  },
  { name: 'delete with delete', policies: [rule('p/d', ['delete'])], method: D, path: 'p/d', allowed: true },
  {
    name: 'patch needs patch',
    policies: [rule('secret/data/x', ['update'])],
    method: 'PATCH',
    path: 'secret/data/x',
    body: { data: v },
    headers: { 'Content-Type': 'application/merge-patch+json' },
    allowed: false,
  },
  {
    name: 'patch with patch',
    policies: [rule('secret/data/x', ['patch'])],
    method: 'PATCH',
    path: 'secret/data/x',
    body: { data: v },
    headers: { 'Content-Type': 'application/merge-patch+json' },
    allowed: true,
  },
  {
    name: 'no policy at all denies',
    policies: [rule('other/*', ['read'])],
    method: R,
    path: 'p/a',
    allowed: false,
  },
  {
    name: 'an empty capability list denies',
    policies: [rule('p/e', [])],
    method: R,
    path: 'p/e',
    allowed: false,
  },
  {
    name: 'legacy policy = "read" grants read',
    policies: ['path "p/legacy" {\n  policy = "read"\n}\n'],
    method: R,
    path: 'p/legacy',
    allowed: true,
  },
  {
    name: 'legacy policy = "read" grants list',
    policies: ['path "p/legacy/*" {\n  policy = "read"\n}\n'],
    method: L,
    path: 'p/legacy/',
    allowed: true,
  },
  {
    name: 'legacy policy = "deny" denies',
    policies: ['path "p/legacy" {\n  policy = "deny"\n}\n'],
    method: R,
    path: 'p/legacy',
    allowed: false,
  },
  {
    name: 'legacy policy = "write" grants create',
    policies: ['path "p/legacy2" {\n  policy = "write"\n}\n'],
    method: W,
    path: 'p/legacy2',
    body: v,
    allowed: true,
  },
  {
    name: 'a JSON policy works like HCL',
    policies: ['{"path":{"p/json":{"capabilities":["read"]}}}'],
    method: R,
    path: 'p/json',
    allowed: true,
  },
  // KV v2 sub-paths
  {
    name: 'kv v2: data/* grants reading versions',
    policies: [rule('secret/data/*', ['read'])],
    method: R,
    path: 'secret/data/app',
    allowed: true,
  },
  {
    name: 'kv v2: data/* does not grant metadata',
    policies: [rule('secret/data/*', ['read'])],
    method: R,
    path: 'secret/metadata/app',
    allowed: false,
  },
  {
    name: 'kv v2: metadata list',
    policies: [rule('secret/metadata/*', ['list'])],
    method: L,
    path: 'secret/metadata/',
    allowed: true,
  },
  {
    name: 'kv v2: delete/ is its own path',
    policies: [rule('secret/data/*', ['update', 'delete'])],
    method: W,
    path: 'secret/delete/app',
    body: { versions: [1] },
    allowed: false,
  },
  {
    name: 'kv v2: destroy with its own rule',
    policies: [rule('secret/destroy/*', ['update'])],
    method: W,
    path: 'secret/destroy/app',
    body: { versions: [1] },
    allowed: true,
  },
  // Parameters
  {
    name: 'allowed_parameters: a listed key with any value',
    policies: [rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { k: 'anything' },
    allowed: true,
  },
  {
    name: 'allowed_parameters: an unlisted key is refused',
    policies: [rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { other: 'x' },
    allowed: false,
  },
  {
    name: 'allowed_parameters: "*" allows other keys',
    policies: [
      rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["a"]\n    "*" = []\n  }\n'),
    ],
    method: W,
    path: 'p/param',
    body: { other: 'x' },
    allowed: true,
  },
  {
    name: 'allowed_parameters: a listed value',
    policies: [
      rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["a", "b"]\n  }\n'),
    ],
    method: W,
    path: 'p/param',
    body: { k: 'b' },
    allowed: true,
  },
  {
    name: 'allowed_parameters: an unlisted value',
    policies: [
      rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["a", "b"]\n  }\n'),
    ],
    method: W,
    path: 'p/param',
    body: { k: 'c' },
    allowed: false,
  },
  {
    name: 'allowed_parameters: a prefix glob value',
    policies: [rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["dev-*"]\n  }\n')],
    method: W,
    path: 'p/param',
    body: { k: 'dev-42' },
    allowed: true,
  },
  {
    name: 'allowed_parameters: a suffix glob value',
    policies: [
      rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["*-prod"]\n  }\n'),
    ],
    method: W,
    path: 'p/param',
    body: { k: 'eu-prod' },
    allowed: true,
  },
  {
    name: 'allowed_parameters: glob does not match',
    policies: [rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["dev-*"]\n  }\n')],
    method: W,
    path: 'p/param',
    body: { k: 'prod-1' },
    allowed: false,
  },
  {
    name: 'allowed_parameters: every list element must be allowed',
    policies: [
      rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = ["a", "b"]\n  }\n'),
    ],
    method: W,
    path: 'p/param',
    body: { k: ['a', 'z'] },
    allowed: false,
  },
  {
    name: 'allowed_parameters: keys compare lower-cased',
    policies: [rule('p/param', ['create', 'update'], '  allowed_parameters = {\n    "k" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { K: 'x' },
    allowed: true,
  },
  {
    name: 'denied_parameters: a denied key',
    policies: [rule('p/param', ['create', 'update'], '  denied_parameters = {\n    "secret" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { secret: 'x' },
    allowed: false,
  },
  {
    name: 'denied_parameters: other keys pass',
    policies: [rule('p/param', ['create', 'update'], '  denied_parameters = {\n    "secret" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { fine: 'x' },
    allowed: true,
  },
  {
    name: 'denied_parameters: a denied value',
    policies: [rule('p/param', ['create', 'update'], '  denied_parameters = {\n    "env" = ["prod"]\n  }\n')],
    method: W,
    path: 'p/param',
    body: { env: 'prod' },
    allowed: false,
  },
  {
    name: 'denied_parameters: another value passes',
    policies: [rule('p/param', ['create', 'update'], '  denied_parameters = {\n    "env" = ["prod"]\n  }\n')],
    method: W,
    path: 'p/param',
    body: { env: 'dev' },
    allowed: true,
  },
  {
    name: 'denied_parameters: "*" refuses every key',
    policies: [rule('p/param', ['create', 'update'], '  denied_parameters = {\n    "*" = []\n  }\n')],
    method: W,
    path: 'p/param',
    body: { any: 'x' },
    allowed: false,
  },
  {
    name: 'denied wins over allowed',
    policies: [
      rule(
        'p/param',
        ['create', 'update'],
        '  allowed_parameters = {\n    "k" = []\n  }\n  denied_parameters = {\n    "k" = []\n  }\n',
      ),
    ],
    method: W,
    path: 'p/param',
    body: { k: 'x' },
    allowed: false,
  },
  {
    name: 'required_parameters: present',
    policies: [rule('p/param', ['create', 'update'], '  required_parameters = ["must"]\n')],
    method: W,
    path: 'p/param',
    body: { must: 'x' },
    allowed: true,
  },
  {
    name: 'required_parameters: missing',
    policies: [rule('p/param', ['create', 'update'], '  required_parameters = ["must"]\n')],
    method: W,
    path: 'p/param',
    body: { other: 'x' },
    allowed: false,
  },
  {
    name: 'parameter constraints merge across policies',
    policies: [
      rule('p/param2', ['create', 'update'], '  allowed_parameters = {\n    "a" = []\n  }\n'),
      rule('p/param2', ['create', 'update'], '  allowed_parameters = {\n    "b" = []\n  }\n'),
    ],
    method: W,
    path: 'p/param2',
    body: { a: 1, b: 2 },
    allowed: true,
  },
  // Wrapping TTLs
  {
    name: 'min_wrapping_ttl makes wrapping mandatory',
    policies: [rule('sys/wrapping/wrap', ['update'], '  min_wrapping_ttl = "1s"\n')],
    method: W,
    path: 'sys/wrapping/wrap',
    body: v,
    allowed: false,
  },
  {
    name: 'min_wrapping_ttl met',
    policies: [rule('sys/wrapping/wrap', ['update'], '  min_wrapping_ttl = "1s"\n')],
    method: W,
    path: 'sys/wrapping/wrap',
    body: v,
    headers: { 'X-Vault-Wrap-TTL': '30s' },
    allowed: true,
  },
  {
    name: 'max_wrapping_ttl exceeded',
    policies: [rule('sys/wrapping/wrap', ['update'], '  max_wrapping_ttl = "60s"\n')],
    method: W,
    path: 'sys/wrapping/wrap',
    body: v,
    headers: { 'X-Vault-Wrap-TTL': '120s' },
    allowed: false,
  },
  {
    name: 'max_wrapping_ttl respected',
    policies: [rule('sys/wrapping/wrap', ['update'], '  max_wrapping_ttl = "60s"\n')],
    method: W,
    path: 'sys/wrapping/wrap',
    body: v,
    headers: { 'X-Vault-Wrap-TTL': '30s' },
    allowed: true,
  },
  // Sudo paths
  {
    name: 'sys/audit needs sudo',
    policies: [rule('sys/audit', ['read'])],
    method: R,
    path: 'sys/audit',
    allowed: false,
  },
  {
    name: 'sys/audit with sudo',
    policies: [rule('sys/audit', ['read', 'sudo'])],
    method: R,
    path: 'sys/audit',
    allowed: true,
  },
  {
    name: 'sys/auth/* needs sudo',
    policies: [rule('sys/auth/*', ['read'])],
    method: R,
    path: 'sys/auth/token/tune',
    allowed: false,
  },
  {
    name: 'sys/rotate needs sudo',
    policies: [rule('sys/rotate', ['update'])],
    method: W,
    path: 'sys/rotate',
    allowed: false,
  },
  {
    name: 'sys/mounts needs no sudo',
    policies: [rule('sys/mounts', ['read'])],
    method: R,
    path: 'sys/mounts',
    allowed: true,
  },
  {
    name: 'sys/policy needs no sudo',
    policies: [rule('sys/policy', ['read'])],
    method: R,
    path: 'sys/policy',
    allowed: true,
  },
  {
    name: 'token accessors need sudo',
    policies: [rule('auth/token/accessors/*', ['list'])],
    method: L,
    path: 'auth/token/accessors/',
    allowed: false,
  },
  {
    name: 'token accessors with sudo',
    policies: [rule('auth/token/accessors/*', ['list', 'sudo'])],
    method: L,
    path: 'auth/token/accessors/',
    allowed: true,
  },
  // Templates
  {
    name: 'a template that cannot be rendered grants nothing',
    policies: [rule('p/{{identity.entity.id}}/*', ['read'])],
    method: R,
    path: 'p/x/y',
    allowed: false,
  },
  {
    name: 'a template never widens to a glob',
    policies: [rule('p/{{identity.entity.name}}', ['read'])],
    method: R,
    path: 'p/',
    allowed: false,
  },
];

describe('ACL rules on a real server', () => {
  before(async () => {
    for (const key of ['existing', 'a', 'd', 'u', 'json', 'legacy'])
      await server.api('POST', `p/${key}`, v, root);
    await server.api('POST', 'secret/data/x', { data: v }, root);
  });
  test(`the table has at least 80 cases (${cases.length})`, () => assert.ok(cases.length >= 80));
  for (const c of cases) {
    test(c.name, async () => {
      const token = await tokenWith(c.policies);
      const res = await server.api(c.method, c.path, c.body, token, c.headers);
      assert.equal(
        res.status !== 403,
        c.allowed,
        `${c.method} ${c.path} → ${res.status} ${res.text.slice(0, 200)}`,
      );
    });
  }
});

test('property: sys/capabilities predicts the real allow/deny', async () => {
  const random = mulberry32(20261124);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const segments = ['a', 'b', 'c'];
  const capsPool = ['read', 'list', 'update', 'create', 'delete', 'deny'];
  const randomPattern = () => {
    const depth = 1 + Math.floor(random() * 3);
    const parts = Array.from({ length: depth }, () => (random() < 0.2 ? '+' : pick(segments)));
    // `+*` is not a valid pattern; a trailing `+` segment takes no glob.
    const glob = random() < 0.4 && parts[parts.length - 1] !== '+' ? '*' : '';
    return `p/${parts.join('/')}${glob}`;
  };
  let checked = 0;
  for (let round = 0; round < 40; round++) {
    const policies = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        rule(
          randomPattern(),
          capsPool.filter(() => random() < 0.35),
        ),
      ).join('\n'),
    );
    const token = await tokenWith(policies);
    const paths = Array.from(
      { length: 8 },
      () => `p/${Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(segments)).join('/')}`,
    );
    // The tokens carry no default policy, so ask about them with root through sys/capabilities.
    const caps = await server.api('POST', 'sys/capabilities', { token, paths }, root);
    for (const path of paths) {
      const granted: string[] = caps.body.data[path];
      const probes: [string, string, string][] = [
        ['read', 'GET', path],
        ['list', 'LIST', `${path}/`],
        ['delete', 'DELETE', path],
      ];
      for (const [capability, method, target] of probes) {
        const res = await server.api(method, target, undefined, token);
        let predicted = granted.includes(capability);
        if (capability === 'list') {
          const listCaps = await server.api('POST', 'sys/capabilities', { token, paths: [target] }, root);
          assert.ok(listCaps.body?.data, listCaps.text);
          predicted = listCaps.body.data[target].includes('list');
        }
        assert.equal(
          res.status !== 403,
          predicted,
          `${method} ${target} with ${JSON.stringify(policies)}: caps ${granted}`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked >= 900, `checked ${checked} cases`);
});
