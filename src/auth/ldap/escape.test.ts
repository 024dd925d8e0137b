import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../core/errors.js';
import { commonName, escapeDnValue, escapeFilterValue, renderFilter, validateTemplate } from './escape.js';

const filterCases = [
  { name: 'plain name', input: 'alice', output: 'alice' },
  { name: 'wildcard and parentheses', input: '*)(uid=*', output: '\\2a\\29\\28uid=\\2a' },
  { name: 'backslash and NUL', input: 'a\\b\0', output: 'a\\5cb\\00' },
  { name: 'UTF-8 stays as is', input: 'zoë', output: 'zoë' },
];
for (const c of filterCases) {
  test(`filter value (RFC 4515): ${c.name}`, () => assert.equal(escapeFilterValue(c.input), c.output));
}

const dnCases = [
  { name: 'plain name', input: 'alice', output: 'alice' },
  { name: 'comma, equals and plus', input: 'a,b=c+d', output: 'a\\,b\\=c\\+d' },
  { name: 'quotes, angles, semicolon, backslash', input: '"<x>;\\', output: '\\"\\<x\\>\\;\\\\' },
  { name: 'leading hash', input: '#x', output: '\\#x' },
  { name: 'leading and trailing space', input: ' a ', output: '\\ a\\ ' },
  { name: 'a single space', input: ' ', output: '\\ ' },
  { name: 'NUL', input: 'a\0', output: 'a\\00' },
];
for (const c of dnCases) {
  test(`DN value (RFC 4514): ${c.name}`, () => assert.equal(escapeDnValue(c.input), c.output));
}

test('templates: values are escaped when rendered; unknown fields and other {{ }} are refused', () => {
  const filter = renderFilter('(&(member={{.UserDN}})(x={{ .Username }}))', {
    UserDN: 'cn=a)',
    Username: '*',
  });
  assert.equal(filter, '(&(member=cn=a\\29)(x=\\2a))');
  assert.throws(() => validateTemplate('({{.Password}})', ['UserDN'], 'groupfilter'), CofferError);
  assert.throws(() => validateTemplate('({{if .UserDN}}x{{end}})', ['UserDN'], 'groupfilter'), CofferError);
  validateTemplate('(member={{.UserDN}})', ['UserDN', 'Username'], 'groupfilter');
});

test('commonName: the first cn of a DN, or the text itself', () => {
  assert.equal(commonName('cn=dev,ou=groups,dc=example,dc=org'), 'dev');
  assert.equal(commonName('CN=a\\,b,OU=x'), 'a,b');
  assert.equal(commonName('ou=x,cn=deep'), 'deep');
  assert.equal(commonName('cn=caf\\c3\\a9,ou=x'), 'café');
  assert.equal(commonName('plain-group'), 'plain-group');
  assert.equal(commonName('uid=alice,ou=people'), 'uid=alice,ou=people');
});
