import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuotaIndex } from './quota-index.js';
import { RateLimitQuota } from './rate-limit-quota.js';

function indexOf(scopes: Record<string, [string, string]>): QuotaIndex {
  const index = new QuotaIndex();
  for (const [name, [mountPath, pathSuffix]] of Object.entries(scopes)) {
    const spec = { name, mountPath, pathSuffix, rate: 1, intervalSeconds: 1, blockIntervalSeconds: 0 };
    index.set(new RateLimitQuota(spec));
  }
  return index;
}

const mountOf = (path: string) =>
  ['secret/', 'auth/approle/', 'sys/'].find((m) => path.startsWith(m) || `${path}/` === m);

const all = {
  global: ['', ''],
  kv: ['secret/', ''],
  app: ['secret/', 'data/app'],
  team: ['secret/', 'data/team/*'],
  teamA: ['secret/', 'data/team/a*'],
} satisfies Record<string, [string, string]>;

const cases = [
  { name: 'an exact path beats its mount', path: 'secret/data/app', wins: 'app' },
  { name: 'a trailing slash is ignored', path: 'secret/data/app/', wins: 'app' },
  { name: 'the longest glob wins', path: 'secret/data/team/alpha', wins: 'teamA' },
  { name: 'a shorter glob still beats the mount', path: 'secret/data/team/b', wins: 'team' },
  { name: 'the mount beats the global quota', path: 'secret/data/other', wins: 'kv' },
  {
    name: "at the mount's root, the mount quota holds without a catch-all glob",
    path: 'secret/',
    wins: 'kv',
  },
  { name: 'another mount falls to the global quota', path: 'auth/approle/login', wins: 'global' },
  { name: 'an unmounted path falls to the global quota', path: 'nowhere/x', wins: 'global' },
];

for (const c of cases) {
  test(`most specific quota: ${c.name}`, () => {
    assert.equal(indexOf(all).find(c.path, mountOf)?.spec.name, c.wins);
  });
}

test('without a global quota, other mounts are not limited; deleting a quota takes it out', () => {
  const index = indexOf({ kv: ['secret/', ''], team: ['secret/', 'data/team/*'] });
  assert.equal(index.find('sys/mounts', mountOf), undefined);
  index.delete('team');
  assert.equal(index.find('secret/data/team/a', mountOf)?.spec.name, 'kv');
  assert.equal(index.holding({ mountPath: 'secret/', pathSuffix: '' })?.spec.name, 'kv');
});

test("at the mount's root a `mount/*` glob beats the mount's own quota, as in Vault", () => {
  const index = indexOf({ kv: ['secret/', ''], every: ['secret/', '*'] });
  assert.equal(index.find('secret/', mountOf)?.spec.name, 'every');
  assert.equal(index.find('secret', mountOf)?.spec.name, 'every');
  assert.equal(index.find('secret/data/x', mountOf)?.spec.name, 'every');
});

test('with only a global quota, the mount is never looked up', () => {
  const index = indexOf({ global: ['', ''] });
  assert.equal(index.find('secret/x', () => assert.fail('mountOf was called'))?.spec.name, 'global');
});

test("a login role's quota beats the mount's and its paths' quotas; other roles fall back", () => {
  const index = indexOf({ mount: ['auth/approle/', ''], login: ['auth/approle/', 'login'] });
  const spec = { mountPath: 'auth/approle/', pathSuffix: '', rate: 1, intervalSeconds: 1 };
  index.set(new RateLimitQuota({ ...spec, name: 'roleA', role: 'a', blockIntervalSeconds: 0 }));
  assert.equal(index.find('auth/approle/login', mountOf, 'a')?.spec.name, 'roleA');
  assert.equal(index.find('auth/approle/login', mountOf, 'b')?.spec.name, 'login');
  assert.equal(index.find('auth/approle/login', mountOf)?.spec.name, 'login');
  assert.equal(index.find('auth/approle/role/x', mountOf, 'a')?.spec.name, 'roleA');
  assert.equal(index.find('auth/approle/role/x', mountOf)?.spec.name, 'mount');
});

test('role quotas: their own scope per role, known per mount, gone when deleted', () => {
  const index = indexOf({ mount: ['auth/approle/', ''] });
  assert.equal(index.hasRoles, false);
  const spec = { mountPath: 'auth/approle/', pathSuffix: '', rate: 1, intervalSeconds: 1 };
  index.set(new RateLimitQuota({ ...spec, name: 'roleA', role: 'a', blockIntervalSeconds: 0 }));
  assert.equal(index.hasRoles, true);
  assert.equal(index.hasRolesOn('auth/approle/'), true);
  assert.equal(index.hasRolesOn('secret/'), false);
  assert.equal(index.holding({ mountPath: 'auth/approle/', pathSuffix: '' })?.spec.name, 'mount');
  assert.equal(index.holding({ mountPath: 'auth/approle/', pathSuffix: '', role: 'a' })?.spec.name, 'roleA');
  assert.equal(index.holding({ mountPath: 'auth/approle/', pathSuffix: '', role: 'b' }), undefined);
  index.delete('roleA');
  assert.equal(index.hasRoles, false);
  assert.equal(index.find('auth/approle/login', mountOf, 'a')?.spec.name, 'mount');
});
