import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../framework/log.js';
import { buildClaims, RESERVED_CLAIMS, templateProblem } from './claims.js';
import { renderTemplate } from './template.js';
import { testEntity } from './testing.js';

const base = {
  iss: 'https://vault.example/v1/identity/oidc',
  namespace: 'root',
  sub: 'entity-1',
  aud: 'client',
  exp: 200,
  iat: 100,
};

test('entity directives render as JSON values', () => {
  const entity = testEntity({
    aliases: [
      {
        id: 'alias-1',
        name: 'alice@corp',
        mountAccessor: 'auth_userpass_1',
        metadata: {},
        customMetadata: { dept: 'x' },
      },
    ],
  });
  const template = JSON.stringify({
    id: '{{identity.entity.id}}',
    user: '{{identity.entity.name}}',
    team: '{{identity.entity.metadata.team}}',
    missing: '{{identity.entity.metadata.nope}}',
    login: '{{identity.entity.aliases.auth_userpass_1.name}}',
    dept: '{{identity.entity.aliases.auth_userpass_1.custom_metadata.dept}}',
  })
    .replaceAll('"{{', '{{')
    .replaceAll('}}"', '}}');
  const claims = JSON.parse(renderTemplate(template, entity, 100));
  assert.deepEqual(claims, {
    id: 'entity-1',
    user: 'alice',
    team: 'payments',
    missing: '',
    login: 'alice@corp',
    dept: 'x',
  });
});

test('lists, maps and time render unquoted', () => {
  const rendered = renderTemplate(
    '{"groups": {{identity.entity.groups.names}}, "meta": {{identity.entity.metadata}}, "nbf": {{time.now.minus.1h}}}',
    testEntity(),
    10_000,
  );
  assert.deepEqual(JSON.parse(rendered), { groups: ['engineers'], meta: { team: 'payments' }, nbf: 6400 });
});

test('an entity without groups renders its group names as null, as Vault does', () => {
  const rendered = renderTemplate(
    '{"g": {{identity.entity.groups.names}}}',
    testEntity({ groupIds: [], groupNames: [] }),
    0,
  );
  assert.deepEqual(JSON.parse(rendered), { g: null });
});

test('a value with quotes cannot break out of its JSON string', () => {
  const rendered = renderTemplate(
    '{"n": {{identity.entity.name}}}',
    testEntity({ name: 'a", "sub": "evil' }),
    0,
  );
  assert.deepEqual(JSON.parse(rendered), { n: 'a", "sub": "evil' });
});

const problems = [
  {
    name: 'unbalanced braces',
    template: '{"a": {{identity.entity.id}',
    problem: 'error parsing template: unbalanced templating characters',
  },
  {
    name: 'an unknown directive',
    template: '{"a": {{identity.entity.nope}}}',
    problem: 'error parsing template: no value could be found for one of the template directives',
  },
  {
    name: 'not JSON, without echoing it',
    template: '{"a": "s3cr3t-canary"',
    problem: 'error parsing template JSON: the template is not valid JSON',
  },
  {
    name: 'a JSON array',
    template: '[1]',
    problem: 'error parsing template JSON: the template is not a JSON object',
  },
  {
    name: 'a reserved claim',
    template: '{"sub": {{identity.entity.name}}}',
    problem: `top level key "sub" not allowed. Restricted keys: ${RESERVED_CLAIMS.join(', ')}`,
  },
  { name: 'a nonce', template: '{"nonce": "x"}', problem: /^top level key "nonce" not allowed/ },
];
for (const c of problems) {
  test(`a template with ${c.name} is refused`, () => {
    const problem = templateProblem(c.template, 0);
    if (c.problem instanceof RegExp) assert.match(problem ?? '', c.problem);
    else assert.equal(problem, c.problem);
  });
}

test('a valid template has no problem', () => {
  assert.equal(
    templateProblem('{"groups": {{identity.entity.groups.names}}, "n": {{identity.entity.name}}}', 0),
    undefined,
  );
  assert.equal(templateProblem('', 0), undefined);
});

test('template claims never override the base claims', () => {
  const claims = buildClaims(
    base,
    '{"sub": "evil", "exp": 9999999999, "team": {{identity.entity.metadata.team}}}',
    testEntity(),
    silentLogger,
  );
  assert.deepEqual(claims, { ...base, team: 'payments' });
});

test('a template that fails for this entity leaves only the base claims', () => {
  const claims = buildClaims(base, '{"g": {{identity.groups.names.admins.id}}}', testEntity(), silentLogger);
  assert.deepEqual(claims, base);
});
