/** Parameter constraints and wrapping TTL bounds (API.md 9.4), checked through a compiled Acl as requests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatches } from './parameters.js';
import { checkCase, type Group, rule } from './testing.js';

const W = ['create', 'update'];
const allowed = (params: string) => `  allowed_parameters = { ${params} }\n`;
const denied = (params: string) => `  denied_parameters = { ${params} }\n`;
const required = (names: string) => `  required_parameters = [${names}]\n`;
const wrapping = (field: string, value: string) => `  ${field}_wrapping_ttl = "${value}"\n`;

const groups: Group[] = [
  {
    policies: [rule('p/k', W, allowed('"k" = []'))],
    cases: [
      ['allowed_parameters: a listed key with any value', 'update p/k', true, { data: { k: 'anything' } }],
      ['allowed_parameters: an unlisted key is refused', 'update p/k', false, { data: { other: 1 } }],
      ['allowed_parameters: keys compare lower-cased', 'update p/k', true, { data: { K: 1 } }],
    ],
  },
  {
    policies: [rule('p/k', W, allowed('"k" = ["a"], "*" = []'))],
    cases: [
      ['allowed_parameters: "*" admits other keys', 'update p/k', true, { data: { other: 1 } }],
      ['allowed_parameters: "*" still checks the listed key', 'update p/k', false, { data: { k: 'c' } }],
    ],
  },
  {
    policies: [rule('p/k', W, allowed('"k" = ["a", "b"]'))],
    cases: [
      ['allowed_parameters: a listed value', 'update p/k', true, { data: { k: 'b' } }],
      ['allowed_parameters: an unlisted value', 'update p/k', false, { data: { k: 'c' } }],
      [
        'allowed_parameters: every list element must be allowed',
        'update p/k',
        false,
        { data: { k: ['a', 'z'] } },
      ],
      [
        'allowed_parameters: a list of allowed elements passes',
        'update p/k',
        true,
        { data: { k: ['b', 'a'] } },
      ],
      [
        'allowed_parameters: a comma string is checked element by element',
        'update p/k',
        true,
        { data: { k: 'a, b' } },
      ],
      ['allowed_parameters: an empty string is not a free pass', 'update p/k', false, { data: { k: '' } }],
      ['allowed_parameters: an empty body passes', 'update p/k', true, { data: {} }],
    ],
  },
  {
    policies: [rule('p/k', W, allowed('"k" = ["dev-*", "*-prod", "*mid*", "*"]'))],
    cases: [
      ['allowed_parameters: a prefix glob value', 'update p/k', true, { data: { k: 'dev-42' } }],
      ['allowed_parameters: a suffix glob value', 'update p/k', true, { data: { k: 'eu-prod' } }],
      [
        'allowed_parameters: a glob on both ends is "contains"',
        'update p/k',
        true,
        { data: { k: 'a-mid-b' } },
      ],
      [
        'allowed_parameters: a lone "*" value is literal, as in Vault',
        'update p/k',
        false,
        { data: { k: 'x' } },
      ],
    ],
  },
  {
    policies: [rule('p/k', W, allowed('"ttl" = [3600]'))],
    cases: [
      ['allowed_parameters: a number matches the same number', 'update p/k', true, { data: { ttl: 3600 } }],
    ],
  },
  {
    policies: [rule('p/k', W, denied('"secret" = [], "env" = ["prod"]'))],
    cases: [
      ['denied_parameters: a denied key with any value', 'update p/k', false, { data: { secret: 'x' } }],
      ['denied_parameters: other keys pass', 'update p/k', true, { data: { fine: 'x' } }],
      ['denied_parameters: a denied value', 'update p/k', false, { data: { env: 'prod' } }],
      ['denied_parameters: another value passes', 'update p/k', true, { data: { env: 'dev' } }],
      [
        'denied_parameters: a denied value inside a list',
        'update p/k',
        false,
        { data: { env: ['dev', 'prod'] } },
      ],
      [
        'denied_parameters: a denied value inside a comma string',
        'update p/k',
        false,
        { data: { env: 'dev,prod' } },
      ],
      ['denied_parameters: keys compare lower-cased', 'update p/k', false, { data: { SECRET: 'x' } }],
    ],
  },
  {
    policies: [rule('p/k', W, denied('"*" = []'))],
    cases: [
      ['denied_parameters: "*" refuses every key', 'update p/k', false, { data: { any: 'x' } }],
      ['denied_parameters: "*" still lets an empty body through', 'update p/k', true, { data: {} }],
    ],
  },
  {
    policies: [rule('p/k', W, allowed('"k" = []') + denied('"k" = []'))],
    cases: [['denied wins over allowed', 'update p/k', false, { data: { k: 'x' } }]],
  },
  {
    policies: [rule('p/k', W, required('"must"')), rule('p/r', ['read'], required('"version"'))],
    cases: [
      ['required_parameters: present', 'update p/k', true, { data: { must: 'x' } }],
      ['required_parameters: missing', 'update p/k', false, { data: { other: 'x' } }],
      ['required_parameters: Vault checks reads too', 'read p/r', false],
      ['required_parameters: satisfied on a read by the query', 'read p/r', true, { data: { version: '2' } }],
    ],
  },
  {
    policies: [rule('p/k', W, required('"Type"'))],
    cases: [
      [
        'required_parameters: the lower-cased name must be the key sent',
        'update p/k',
        false,
        { data: { Type: 'x' } },
      ],
    ],
  },
  {
    policies: [rule('p/k', ['delete'], required('"must"')), rule('p/l/*', ['list'], denied('"*" = []'))],
    cases: [
      ['parameters are not checked on delete', 'delete p/k', true],
      ['parameters are not checked on list', 'list p/l/', true, { data: { after: 'x' } }],
    ],
  },
  {
    policies: [
      rule('p/m', W, allowed('"a" = [], "k" = ["x"]')),
      rule('p/m', W, allowed('"b" = [], "k" = ["y"]')),
    ],
    cases: [
      ['allowed keys merge across policies', 'update p/m', true, { data: { a: 1, b: 2 } }],
      ['allowed values merge across policies', 'update p/m', true, { data: { k: 'y' } }],
    ],
  },
  {
    policies: [rule('p/m', W, allowed('"k" = ["x"]')), rule('p/m', W, allowed('"k" = []'))],
    cases: [
      ['an empty value list in one policy absorbs the other', 'update p/m', true, { data: { k: 'z' } }],
    ],
  },
  {
    policies: [rule('p/m', W, allowed('"k" = []')), rule('p/m', W)],
    cases: [
      ['a policy without constraints does not lift another one', 'update p/m', false, { data: { other: 1 } }],
    ],
  },
  {
    policies: [rule('p/m', W, denied('"k" = []')), rule('p/m', ['deny'])],
    cases: [['a deny merged in drops everything else', 'update p/m', false, { data: { ok: 1 } }]],
  },
  {
    policies: [
      rule('p/w', ['update'], wrapping('min', '1s')),
      rule('p/m', ['update'], wrapping('min', '1m')),
    ],
    cases: [
      ['min_wrapping_ttl makes wrapping mandatory', 'update p/w', false],
      ['min_wrapping_ttl met', 'update p/w', true, { wrap: 30 }],
      ['min_wrapping_ttl not met', 'update p/m', false, { wrap: 30 }],
    ],
  },
  {
    policies: [rule('p/w', ['update'], wrapping('max', '60s'))],
    cases: [
      ['max_wrapping_ttl exceeded', 'update p/w', false, { wrap: 120 }],
      ['max_wrapping_ttl respected', 'update p/w', true, { wrap: 60 }],
      ['max_wrapping_ttl alone makes wrapping mandatory too (acl.go)', 'update p/w', false],
    ],
  },
  {
    policies: [
      rule('p/w', ['update'], wrapping('max', '60s')),
      rule('p/w', ['update'], wrapping('max', '30s')),
    ],
    cases: [['merged policies keep the lowest max_wrapping_ttl', 'update p/w', false, { wrap: 45 }]],
  },
  {
    policies: [
      rule('p/w', ['update'], wrapping('min', '60s')),
      rule('p/w', ['update'], wrapping('max', '30s')),
    ],
    cases: [['merged bounds that cross allow nothing', 'update p/w', false, { wrap: 30 }]],
  },
];

for (const group of groups) for (const c of group.cases) test(c[0], () => checkCase(group, c));

test("value globs follow Vault's GlobbedStringsMatch", () => {
  const table: [string, string, boolean][] = [
    ['*', '*', true],
    ['*', 'x', false],
    ['a*', 'abc', true],
    ['*c', 'abc', true],
    ['*b*', 'abc', true],
    ['**', 'anything', true],
    ['a*c', 'abc', false],
    ['abc', 'abc', true],
  ];
  for (const [pattern, value, expected] of table)
    assert.equal(globMatches(pattern, value), expected, `${pattern} ~ ${value}`);
});
