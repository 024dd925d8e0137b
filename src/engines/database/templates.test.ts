/** Username templates, statement rendering and generated passwords: the parts that decide what reaches SQL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatePassword } from './password.js';
import { DEFAULT_USERNAME_TEMPLATE } from './plugins/postgresql-settings.js';
import { renderStatement } from './plugins/sql-template.js';
import { roleAllowed } from './store.js';
import { compileUsernameTemplate } from './username-template.js';

test("the default template gives Vault's shape, truncated to 63 characters", () => {
  const template = compileUsernameTemplate(DEFAULT_USERNAME_TEMPLATE);
  const short = template.render({ displayName: 'token', roleName: 'readonly' });
  assert.match(short, /^v-token-readonly-[A-Za-z0-9]{20}-\d{10}$/);
  const long = template.render({
    displayName: 'a-very-long-display-name',
    roleName: 'an-even-longer-role-name',
  });
  assert.match(long, /^v-a-very-l-an-even--[A-Za-z0-9]{20}-\d{10}$/);
  assert.ok(long.length <= 63);
});

const templateCases = [
  { name: 'plain text', source: 'static-name', expect: /^static-name$/ },
  {
    name: 'fields and pipes',
    source: '{{.RoleName | uppercase}}_{{.DisplayName | truncate 3}}',
    expect: /^ROLE_dis$/,
  },
  {
    name: 'replace and lowercase',
    source: '{{ .RoleName | replace "o" "0" | lowercase }}',
    expect: /^r0le$/,
  },
  {
    name: 'printf with a nested pipeline',
    source: '{{ printf "%s-%s" (.RoleName | truncate 2) (random 4) }}',
    expect: /^ro-[A-Za-z0-9]{4}$/,
  },
  { name: 'unix_time', source: 'u{{unix_time}}', expect: /^u\d{10}$/ },
  { name: 'uuid', source: '{{uuid}}', expect: /^[0-9a-f-]{36}$/ },
];
for (const c of templateCases) {
  test(`username template: ${c.name}`, () => {
    assert.match(
      compileUsernameTemplate(c.source).render({ displayName: 'display', roleName: 'role' }),
      c.expect,
    );
  });
}

for (const source of [
  '{{ nosuch }}',
  '{{ .Nope }}',
  '{{ printf "%s" ',
  '{{ "" }}',
  '{{ truncate "x" "y" }}',
  '{{ constructor }}',
  '{{ random 100000000 }}',
]) {
  test(`username template: "${source}" is refused`, () => {
    assert.throws(() => compileUsernameTemplate(source));
  });
}

const statementCases: { name: string; sql: string; values: Record<string, string>; expect: string }[] = [
  {
    name: 'double-quoted names double their quotes',
    sql: `CREATE ROLE "{{name}}" PASSWORD '{{password}}';`,
    values: { name: 'a"b', password: "p'w" },
    expect: `CREATE ROLE "a""b" PASSWORD 'p''w';`,
  },
  {
    name: 'bare placeholders are quoted as identifier or literal',
    sql: 'ALTER ROLE {{name}} VALID UNTIL {{expiration}}',
    values: { name: 'V-1', expiration: '2030-01-01 00:00:00+0000' },
    expect: `ALTER ROLE "V-1" VALID UNTIL '2030-01-01 00:00:00+0000'`,
  },
  {
    name: 'an escaped quote keeps the scanner inside the literal',
    sql: `COMMENT ON ROLE "{{name}}" IS 'it''s {{name}}'`,
    values: { name: "o'k" },
    expect: `COMMENT ON ROLE "o'k" IS 'it''s o''k'`,
  },
  {
    name: 'unknown placeholders stay as written',
    sql: `SELECT '{{other}}'`,
    values: { name: 'x' },
    expect: `SELECT '{{other}}'`,
  },
  {
    name: 'prototype names are not placeholders',
    sql: `SELECT '{{constructor}}', {{__proto__}}`,
    values: { name: 'x' },
    expect: `SELECT '{{constructor}}', {{__proto__}}`,
  },
  {
    name: 'a quote inside a comment does not change the quoting of what follows',
    sql: `-- don't\nCREATE ROLE {{name}}; /* it's */ GRANT x TO {{name}}`,
    values: { name: 'a" SUPERUSER --' },
    expect: `-- don't\nCREATE ROLE "a"" SUPERUSER --"; /* it's */ GRANT x TO "a"" SUPERUSER --"`,
  },
  {
    name: 'placeholders in comments are left as written',
    sql: `SELECT 1 -- {{password}}`,
    values: { password: 'secret' },
    expect: `SELECT 1 -- {{password}}`,
  },
  {
    name: "inside E'…' a backslash in a value cannot escape the closing quote",
    sql: `COMMENT ON ROLE x IS E'by {{name}}'`,
    values: { name: "a\\'; DROP TABLE t; --" },
    expect: `COMMENT ON ROLE x IS E'by a\\\\''; DROP TABLE t; --'`,
  },
];
for (const c of statementCases) {
  test(`statement: ${c.name}`, () => {
    assert.equal(renderStatement(c.sql, c.values), c.expect);
  });
}

test('passwords: 20 characters of letters, digits and dashes, with each class present', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const password = generatePassword();
    assert.match(password, /^[A-Za-z0-9][A-Za-z0-9-]{19}$/);
    assert.match(password, /[a-z]/);
    assert.match(password, /[A-Z]/);
    assert.match(password, /\d/);
    seen.add(password);
  }
  assert.equal(seen.size, 500);
});

const globCases = [
  { allowed: ['*'], role: 'anything', ok: true },
  { allowed: ['app-*'], role: 'app-web', ok: true },
  { allowed: ['app-*'], role: 'other', ok: false },
  { allowed: ['*-ro'], role: 'db-ro', ok: true },
  { allowed: ['a.b'], role: 'axb', ok: false },
  { allowed: [], role: 'app', ok: false },
  { allowed: ['a*b*c'], role: 'a-b-c', ok: true },
  // A regex built from this pattern backtracks for minutes; the glob matcher is linear.
  { allowed: [`${'a*'.repeat(40)}b`], role: 'a'.repeat(60), ok: false },
];
for (const c of globCases) {
  test(`allowed_roles ${JSON.stringify(c.allowed)} ${c.ok ? 'allows' : 'refuses'} ${c.role}`, () => {
    const config = { allowedRoles: c.allowed } as Parameters<typeof roleAllowed>[0];
    assert.equal(roleAllowed(config, c.role), c.ok);
  });
}
