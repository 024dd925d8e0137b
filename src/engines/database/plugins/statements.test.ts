import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../../../core/errors.js';
import { redactedError, redactSecrets } from './redact.js';
import { formatSqlExpiration, renderVerbatim, splitStatements } from './statements.js';

const splits = [
  {
    name: 'one entry with two statements and a trailing semicolon',
    entries: ["CREATE USER '{{name}}'@'%'; GRANT SELECT ON *.* TO '{{name}}'@'%';"],
    want: ["CREATE USER '{{name}}'@'%'", "GRANT SELECT ON *.* TO '{{name}}'@'%'"],
  },
  {
    name: 'several entries, blanks dropped',
    entries: ['SELECT 1', '  ', 'SELECT 2;;'],
    want: ['SELECT 1', 'SELECT 2'],
  },
  {
    name: 'a JSON array entry is taken as the list',
    entries: ['["SELECT 1", "SELECT 2"]'],
    want: ['SELECT 1', 'SELECT 2'],
  },
  {
    name: 'a base64 entry is decoded first',
    entries: [Buffer.from('SELECT 1; SELECT 2').toString('base64')],
    want: ['SELECT 1', 'SELECT 2'],
  },
  {
    name: 'a base64 entry holding a JSON array after whitespace is that list',
    entries: [Buffer.from(' \n["SELECT 1", "SELECT 2"]').toString('base64')],
    want: ['SELECT 1', 'SELECT 2'],
  },
  {
    name: 'an entry that starts with a bracket but is not JSON is split',
    entries: ['[x]; SELECT 1'],
    want: ['[x]', 'SELECT 1'],
  },
  { name: 'no entries', entries: [], want: [] },
];

for (const c of splits) {
  test(`split: ${c.name}`, () => assert.deepEqual(splitStatements(c.entries), c.want));
}

test('render: every placeholder is replaced verbatim, unknown ones are left', () => {
  const sql = renderVerbatim(
    "CREATE USER '{{name}}' IDENTIFIED BY '{{password}}' -- {{username}} {{other}}",
    {
      name: 'v-a',
      username: 'v-a',
      password: 'pw',
    },
  );
  assert.equal(sql, "CREATE USER 'v-a' IDENTIFIED BY 'pw' -- v-a {{other}}");
});

test('expiration: Go layout 2006-01-02 15:04:05-0700 in UTC', () => {
  assert.equal(formatSqlExpiration(new Date('2026-03-04T05:06:07.890Z')), '2026-03-04 05:06:07+0000');
});

test('redact: raw, URL-encoded, SQL-escaped and JSON-escaped forms are masked', () => {
  const secret = `it's/a "pw"\\`;
  const text = [
    secret,
    encodeURIComponent(secret),
    secret.replaceAll("'", "''"),
    JSON.stringify(secret).slice(1, -1),
  ].join(' | ');
  const masked = redactSecrets(text, [secret, undefined, '']);
  assert.equal(masked, '[password] | [password] | [password] | [password]');
});

test('redact: a password cut short by the database (its start or its end) is masked too', () => {
  const secret = 'Pw-0123456789abcdef';
  assert.equal(
    redactSecrets(`near 'IDENTIFIED BY '${secret.slice(0, 13)}...' and '...${secret.slice(-6)}'`, [secret]),
    "near 'IDENTIFIED BY '[password]...' and '...[password]'",
  );
});

test('redact: the error keeps a non-internal code and drops the driver error', () => {
  const driverError = Object.assign(new Error("syntax error near 'IDENTIFIED BY 's3cret''"), {
    sql: 's3cret',
  });
  const error = redactedError('unable to create user', driverError, ['s3cret']);
  assert.equal(error.code, 'internal');
  assert.equal(error.message, "unable to create user: syntax error near 'IDENTIFIED BY '[password]''");
  assert.equal(error.cause, undefined);
  const refused = redactedError('x', new CofferError('invalid_request', 'bad s3cret'), ['s3cret']);
  assert.equal(refused.code, 'invalid_request');
  assert.equal(refused.message, 'bad [password]');
});
