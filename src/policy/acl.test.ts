/** Vault's documented ACL rules (API.md 9, SECURITY.md B1/B3/B5) as tables of requests against a compiled Acl. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Acl, type IdentityContext, isSudoPath } from './acl.js';
import { DEFAULT_POLICY, ROOT_POLICY } from './builtin.js';
import { parsePolicy } from './parse.js';
import { checkCase, countCases, type Group, rule } from './testing.js';

const R = ['read'];
const W = ['create', 'update'];

const paths: Group[] = [
  {
    policies: [rule('p/a', R)],
    cases: [
      ['an exact rule grants its own path', 'read p/a', true, { caps: ['read'] }],
      ['an exact rule does not grant a child', 'read p/a/b', false, { caps: ['deny'] }],
      ['an exact rule does not grant a sibling sharing its prefix', 'read p/ab', false],
      ['a leading slash on the request is ignored', 'read /p/a', true],
    ],
  },
  { policies: [rule('/p/a', R)], cases: [['a leading slash in the policy is ignored', 'read p/a', true]] },
  {
    policies: [rule('p/a/*', ['read', 'list'])],
    cases: [
      ['a folder glob grants everything below it', 'read p/a/b/c', true],
      ['a folder glob does not grant the folder name itself', 'read p/a', false],
      ['a folder glob grants the folder path with its slash', 'list p/a/', true],
    ],
  },
  {
    policies: [rule('secret/foo*', R)],
    cases: [
      ['secret/foo* grants secret/foobar: the glob is a string prefix', 'read secret/foobar', true],
      ['secret/foo* also grants secret/foo/bar', 'read secret/foo/bar', true],
      ['secret/foo* does not grant secret/fo', 'read secret/fo', false],
    ],
  },
  { policies: [rule('*', R)], cases: [['a lone * grants every path', 'read anything/at/all', true]] },
  {
    policies: [rule('other/*', R)],
    cases: [['no matching rule denies', 'read p/a', false, { caps: ['deny'] }]],
  },
  { policies: [rule('p/e', [])], cases: [['an empty capability list grants nothing', 'read p/e', false]] },
  {
    policies: [rule('secret/*/config', R)],
    cases: [
      ['a * in the middle is a literal character', 'read secret/a/config', false],
      ['a * in the middle matches only itself', 'read secret/*/config', true],
    ],
  },
];

const precedence: Group[] = [
  {
    policies: [rule('p/a/*', R), rule('p/a/b', ['deny'])],
    cases: [['an exact deny beats a glob allow', 'read p/a/b', false]],
  },
  {
    policies: [rule('p/a/*', ['deny']), rule('p/a/b', R)],
    cases: [['an exact allow beats a glob deny', 'read p/a/b', true]],
  },
  {
    policies: [rule('p/a', R), rule('p/a*', ['deny'])],
    cases: [['an exact rule beats a glob of the same text', 'read p/a', true]],
  },
  {
    policies: [rule('p/*', R), rule('p/a/*', ['deny'])],
    cases: [
      ['the longest glob wins when it denies', 'read p/a/x', false],
      ['a shorter glob still governs the other branches', 'read p/b/x', true],
    ],
  },
  {
    policies: [rule('p/*', ['deny']), rule('p/a/*', R)],
    cases: [['the longest glob wins when it allows', 'read p/a/x', true]],
  },
  {
    policies: [rule('p/*', ['deny']), rule('p/fo*', R)],
    cases: [['a mid-segment glob is longer than the folder glob', 'read p/foo', true]],
  },
  {
    policies: [rule('p/*', R), rule('p/a/*', ['update'])],
    cases: [['rules of different patterns are never merged', 'read p/a/x', false, { caps: ['update'] }]],
  },
];

const segments: Group[] = [
  {
    policies: [rule('p/+/x', R)],
    cases: [
      ['+ matches exactly one segment', 'read p/a/x', true],
      ['+ does not match two segments', 'read p/a/b/x', false],
      ['+ does not match zero segments', 'read p/x', false],
      ['+ matches an empty segment, as Vault splits on /', 'read p//x', true],
    ],
  },
  {
    policies: [rule('p/+', ['list'])],
    cases: [['a trailing + governs listing its parent folder', 'list p/', true]],
  },
  {
    policies: [rule('p/+/x*', R)],
    cases: [
      ['+ then a glob grants deeper paths', 'read p/a/xyz/deep', true],
      ['the glob after + is a prefix of its own segment only', 'read p/a/yx', false],
    ],
  },
  { policies: [rule('p/+/+/z', R)], cases: [['two + segments', 'read p/a/b/z', true]] },
  { policies: [rule('+/config', R)], cases: [['+ may open the path', 'read secret/config', true]] },
  { policies: [rule('p/a+b', R)], cases: [['a + inside a segment is literal', 'read p/ab', false]] },
];

/** acl.go's order between matching `*` and `+` patterns, rule by rule (API.md 9.3). */
const priority: Group[] = [
  {
    policies: [rule('p/+/x', R), rule('p/a/*', ['deny'])],
    cases: [['priority (a): a glob starting later beats an earlier +', 'read p/a/x', false]],
  },
  {
    policies: [rule('p/*', ['deny']), rule('p/a/+', R)],
    cases: [['priority (a): a + starting later beats an earlier glob', 'read p/a/x', true]],
  },
  {
    policies: [rule('p/+/b/c', ['deny']), rule('p/a/+/c', R)],
    cases: [['priority (a): p/a/+/c beats p/+/b/c', 'read p/a/b/c', true]],
  },
  {
    policies: [rule('p/*', ['deny']), rule('p/+', R)],
    cases: [['priority (b): p/+ beats p/* at the same position', 'read p/x', true]],
  },
  {
    policies: [rule('p/a/+/*', ['deny']), rule('p/a/+/x', R)],
    cases: [['priority (b): a non-glob beats a glob with the same first +', 'read p/a/b/x', true]],
  },
  {
    policies: [rule('p/a/+/+', ['deny']), rule('p/a/+/c', R)],
    cases: [['priority (c): fewer + segments win', 'read p/a/b/c', true]],
  },
  {
    policies: [rule('p/a/+/c*', ['deny']), rule('p/a/+/cd*', R)],
    cases: [['priority (d): the longer of two + globs wins', 'read p/a/b/cde', true]],
  },
  {
    policies: [rule('p/+/b*', R), rule('p/+/ba*', ['deny'])],
    cases: [['priority (d): a longer deny glob wins too', 'read p/x/bar', false]],
  },
  {
    policies: [rule('p/+/+/y', R), rule('p/+/x/+', ['deny'])],
    cases: [['priority (e): all else equal, the lexically greater pattern wins', 'read p/q/x/y', false]],
  },
  {
    policies: [rule('p/+/x', ['deny']), rule('p/a/x', R)],
    cases: [['an exact rule beats any + rule', 'read p/a/x', true]],
  },
];

const union: Group[] = [
  {
    policies: [rule('p/u', R), rule('p/u', ['update'])],
    cases: [
      [
        'the same pattern in two policies unions capabilities',
        'update p/u',
        true,
        { caps: ['read', 'update'] },
      ],
    ],
  },
  {
    policies: [rule('p/*', R), rule('p/*', ['list'])],
    cases: [['the same glob in two policies unions capabilities', 'list p/', true]],
  },
  {
    policies: [rule('p/u', R) + rule('p/u', ['delete'])],
    cases: [['the same pattern twice in one policy unions too', 'delete p/u', true]],
  },
  {
    policies: [rule('p/u', R), rule('p/u', ['deny'])],
    cases: [['a deny in one policy wins over the union', 'read p/u', false, { caps: ['deny'] }]],
  },
  {
    policies: [rule('p/u', ['deny']), rule('p/u', R)],
    cases: [['a deny wins whichever policy comes first', 'read p/u', false]],
  },
  {
    policies: [rule('sys/audit', ['read', 'sudo']), rule('sys/audit', ['deny'])],
    cases: [['deny overrides sudo', 'read sys/audit', false]],
  },
];

const operations: Group[] = [
  {
    policies: [rule('p/r/*', R), rule('p/l/*', ['list'])],
    cases: [
      ['read does not allow list', 'list p/r/', false],
      ['list does not allow read', 'read p/l/x', false],
    ],
  },
  {
    policies: [rule('p/l', ['list']), rule('p/r', R)],
    cases: [
      ['list matches an exact pattern without the trailing slash', 'list p/l/', true, { caps: ['list'] }],
      ['read on a folder path does not use the slash-less exact pattern', 'read p/r/', false],
    ],
  },
  {
    policies: [rule('secret/metadata/+', ['list'])],
    cases: [['a + rule grants listing a folder it names', 'list secret/metadata/team/', true]],
  },
  {
    policies: [
      rule('p/c', ['create']),
      rule('p/u', ['update']),
      rule('p/p', ['patch']),
      rule('p/d', ['read', 'update']),
    ],
    cases: [
      ['create does not allow update', 'update p/c', false],
      ['update does not allow create', 'create p/u', false],
      ['patch needs patch, not update', 'patch p/u', false],
      ['patch with patch', 'patch p/p', true],
      ['delete needs delete', 'delete p/d', false],
    ],
  },
  // GHSA-xp3c-3jw3-4vcr, SECURITY.md B3: a LIST must not slip past a deny on the folder's glob.
  {
    policies: [rule('secret/metadata/+', ['list']), rule('secret/metadata/private/*', ['deny'])],
    cases: [
      [
        'a folder deny beats a + list grant on its parent',
        'list secret/metadata/private/',
        false,
        { caps: ['deny'] },
      ],
    ],
  },
  {
    policies: [rule('secret/metadata/*', ['list']), rule('secret/metadata/restricted/*', ['deny'])],
    cases: [
      ['a folder deny beats a shorter glob list grant', 'list secret/metadata/restricted/', false],
      ['other folders stay listable beside a denied one', 'list secret/metadata/public/', true],
    ],
  },
];

/** Root-protected paths (API.md 3.9): the rule needs `sudo` besides the operation's capability. */
const sudo: Group[] = [
  {
    policies: [rule('sys/audit', R), rule('sys/auth/*', W), rule('sys/mounts/*', W), rule('sys/policy/*', W)],
    cases: [
      ['sys/audit needs sudo', 'read sys/audit', false],
      ['enabling an auth method needs sudo', 'update sys/auth/userpass', false],
      ['mounting a secrets engine needs no sudo', 'update sys/mounts/kv', true],
      ['writing a policy needs no sudo', 'update sys/policy/dev', true],
    ],
  },
  {
    policies: [rule('sys/audit', ['read', 'sudo'])],
    cases: [['sys/audit with sudo', 'read sys/audit', true, { caps: ['read', 'sudo'] }]],
  },
  {
    policies: [rule('sys/audit', ['sudo'])],
    cases: [['sudo alone grants no operation', 'read sys/audit', false]],
  },
  {
    policies: [
      rule('auth/token/accessors/*', ['list']),
      rule('sys/leases/lookup', ['update']),
      rule('sys/leases/lookup/*', ['list']),
    ],
    cases: [
      ['listing token accessors needs sudo', 'list auth/token/accessors/', false],
      ['looking up one lease needs no sudo', 'update sys/leases/lookup', true],
      ['listing leases by prefix needs sudo', 'list sys/leases/lookup/', false],
    ],
  },
  {
    policies: [rule('auth/token/accessors/*', ['list', 'sudo'])],
    cases: [['listing token accessors with sudo', 'list auth/token/accessors/', true]],
  },
];

const bob: IdentityContext = {
  entity: {
    id: 'e-1',
    name: 'bob',
    metadata: { team: 'blue' },
    aliases: [
      { mountAccessor: 'auth_userpass_1', id: 'a-1', name: 'bob-up', metadata: { org: 'eng' } },
      { mountAccessor: 'auth_ldap_2', id: 'a-2', name: 'bob-ldap' },
    ],
  },
  groups: [{ id: 'g-1', name: 'ops', metadata: { tier: 'gold' } }],
};
const named = (name: string): IdentityContext => ({ entity: { id: 'e-2', name } });
const byName = rule('secret/{{identity.entity.name}}/*', R);

/** Templated paths (API.md 9.5, SECURITY.md B5): rendered per token, dropped (never widened) when they cannot be. */
const templates: Group[] = [
  {
    identity: bob,
    policies: [
      byName +
        rule('id/{{identity.entity.id}}', R) +
        rule('kv/{{identity.entity.metadata.team}}/*', R) +
        rule('ldap/{{identity.entity.aliases.auth_ldap_2.name}}', R) +
        rule('org/{{identity.entity.aliases.auth_ldap_2.metadata.org}}', R) +
        rule('team/{{identity.groups.ids.g-1.name}}/*', R) +
        rule('gid/{{ identity.groups.names.ops.id }}', R) +
        rule('site/{{identity.entity.metadata.site}}/*', R),
      DEFAULT_POLICY,
    ],
    cases: [
      ['a template with the entity name renders', 'read secret/bob/x', true],
      ['a rendered template grants only its own value', 'read secret/alice/x', false],
      ['a template with the entity id renders', 'read id/e-1', true],
      ['a template with entity metadata renders', 'read kv/blue/x', true],
      ['an alias is chosen by mount accessor', 'read ldap/bob-ldap', true],
      ['alias metadata comes from that alias only', 'read org/eng', false],
      ['a group id template renders the group name', 'read team/ops/x', true],
      ['a group name template renders the group id, spaces allowed', 'read gid/g-1', true],
      ['a missing metadata key drops the rule', 'read site//x', false],
      ["the default policy's entity rule renders for the token", 'read identity/entity/id/e-1', true],
    ],
  },
  {
    policies: [byName + rule('open/*', R)],
    cases: [
      ['a token without an entity gets no templated rule', 'read secret//x', false],
      ['a dropped template leaves the other rules alone', 'read open/x', true],
    ],
  },
  {
    identity: named('a/b'),
    policies: [byName],
    cases: [['an entity name with a slash is refused, not widened', 'read secret/a/b/x', false]],
  },
  {
    identity: named('a,b'),
    policies: [byName],
    cases: [['an entity name with a comma is refused', 'read secret/a,b/x', false]],
  },
  {
    identity: named('*'),
    policies: [rule('secret/{{identity.entity.name}}', R)],
    cases: [['an entity name of * is refused, not a glob', 'read secret/anything', false]],
  },
  {
    identity: named('+'),
    policies: [rule('secret/{{identity.entity.name}}/x', R)],
    cases: [['an entity name of + is refused, not a segment wildcard', 'read secret/y/x', false]],
  },
  {
    identity: named('..'),
    policies: [rule('secret/a/{{identity.entity.name}}/x', R)],
    cases: [['an entity name of .. is refused', 'read secret/a/../x', false]],
  },
  {
    // GHSA-59w7-v8rr-pr4p: every source of a value is checked, not only the entity name.
    identity: {
      entity: {
        id: 'e-3',
        name: 'carol',
        metadata: { team: 'a/b' },
        aliases: [
          { mountAccessor: 'auth_up_1', id: 'a-3', name: 'c*', metadata: { org: 'x,y' } },
          { mountAccessor: 'auth_up_2', id: 'a-4', name: 'ok', customMetadata: { unit: '+' } },
        ],
      },
      groups: [{ id: 'g-2', name: '..', metadata: { tier: '*' } }],
    },
    policies: [
      rule('m/{{identity.entity.metadata.team}}/*', R) +
        rule('an/{{identity.entity.aliases.auth_up_1.name}}', R) +
        rule('am/{{identity.entity.aliases.auth_up_1.metadata.org}}', R) +
        rule('ac/{{identity.entity.aliases.auth_up_2.custom_metadata.unit}}/x', R) +
        rule('gn/{{identity.groups.ids.g-2.name}}/x', R) +
        rule('gm/{{identity.groups.ids.g-2.metadata.tier}}', R),
    ],
    cases: [
      ['entity metadata with a slash is refused', 'read m/a/b/x', false],
      ['an alias name with * is refused, not a glob', 'read an/cz', false],
      ['alias metadata with a comma is refused', 'read am/x,y', false],
      ['alias custom metadata of + is refused', 'read ac/q/x', false],
      ['a group name of .. is refused', 'read gn/../x', false],
      ['group metadata of * is refused', 'read gm/anything', false],
    ],
  },
];

const root: Group[] = [
  {
    root: true,
    policies: [],
    cases: [
      ['root may do anything, sudo paths included', 'update sys/auth/userpass', true, { caps: ['root'] }],
    ],
  },
  {
    root: true,
    policies: [rule('p/*', ['deny'])],
    cases: [['root stays root beside other policies', 'read p/x', true, { caps: ['root'] }]],
  },
];

const groups = [
  ...paths,
  ...precedence,
  ...segments,
  ...priority,
  ...union,
  ...operations,
  ...sudo,
  ...templates,
  ...root,
];

test(`the table has at least 80 cases (${countCases(groups)})`, () => {
  assert.equal(countCases(groups) >= 80, true, 'too few cases');
});
for (const group of groups) for (const c of group.cases) test(c[0], () => checkCase(group, c));

test('sudo paths follow the root-path list: prefixes and exact names', () => {
  for (const path of [
    'sys/audit',
    'sys/audit/file',
    'sys/auth/x',
    'sys/raw/a',
    'sys/leases',
    'sys/seal',
    'auth/token/accessors/',
  ])
    assert.equal(isSudoPath(path), true, path);
  for (const path of [
    'sys/auth',
    'sys/mounts/x',
    'sys/policy/x',
    'sys/leases/lookup',
    'sys/auditx',
    'sys/leases/',
  ])
    assert.equal(isSudoPath(path), false, path);
});

test('capabilities of a folder: list from the list lookup, the rest from the plain one', async () => {
  const acl = new Acl([await parsePolicy('p', rule('p/l', ['read', 'list']))]);
  assert.deepEqual(acl.capabilities('p/l'), ['list', 'read']);
  // GET p/l/ would be denied, so `read` is not reported for it; LIST p/l/ is allowed.
  assert.deepEqual(acl.capabilities('p/l/'), ['list']);
});

test('mount visibility follows Vault: a grant at or below the mount shows it', async () => {
  const acl = new Acl([
    await parsePolicy(
      'p',
      rule('secret/data/app', R) +
        rule('kv/*', ['deny']) +
        rule('+/team/*', ['list']) +
        rule('db/+', ['subscribe']),
    ),
  ]);
  const visible = (mount: string) => acl.hasAccessUnder(mount);
  assert.equal(visible('secret/'), true, 'an exact grant below the mount');
  assert.equal(visible('db/'), true, 'a capability on a path of the mount itself');
  assert.equal(visible('other/'), true, 'a + pattern whose first segment covers the mount');
  // Vault's bare-mount walk: `+/team/*` covers any one-segment mount, even one whose own glob denies.
  assert.equal(visible('kv/'), true, 'the + pattern covers kv/ as well');
  assert.equal(visible('transit/keys/'), false, 'the + pattern needs team as the second segment');
  assert.equal(new Acl([ROOT_POLICY]).hasAccessUnder('anything/'), true, 'root sees everything');
});

test('mount visibility: a deny or nothing hides the mount', async () => {
  const acl = new Acl([await parsePolicy('p', rule('kv/*', ['deny']) + rule('kv/a', []))]);
  assert.equal(acl.hasAccessUnder('kv/'), false, 'a denying glob');
  assert.equal(acl.hasAccessUnder('secret/'), false, 'no rule at all');
});

test('capabilities report sudo from the rule that allows a list (SECURITY B6)', async () => {
  // Found by the capabilities oracle: on the list path the plain lookup finds no rule (`sys/+/+` has three
  // segments), the list lookup finds `sys/+/+`, and its sudo is what lets the LIST of a root path through.
  const acl = new Acl([await parsePolicy('p', rule('sys/+/+', ['list', 'sudo']))]);
  assert.equal(
    acl.allowOperation({ path: 'sys/leases/lookup/', operation: 'list', requiresSudo: true }).allowed,
    true,
  );
  assert.deepEqual(acl.capabilities('sys/leases/lookup/'), ['list', 'sudo']);
  // And a list rule without sudo: the LIST is refused, so no sudo is reported for the list path.
  const split = new Acl([
    await parsePolicy('p', rule('sys/leases/lookup/*', ['read', 'sudo']) + rule('sys/leases/+', ['list'])),
  ]);
  assert.equal(
    split.allowOperation({ path: 'sys/leases/lookup/', operation: 'list', requiresSudo: true }).allowed,
    false,
  );
  assert.deepEqual(split.capabilities('sys/leases/lookup/'), ['list', 'read']);
  assert.deepEqual(split.capabilities('sys/leases/lookup/x'), ['read', 'sudo']);
});
