/** Table, %v, JSON and YAML output shaped like the vault CLI's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSecret } from '../../client/secret.js';
import type { CliIo } from '../io.js';
import { Ui } from '../io.js';
import { goJson, toYaml } from './encode.js';
import { outputList, outputSecret, printRawField, secretJson } from './output.js';
import { columns, table } from './table.js';
import { goQuotedList, goTimeString, goValue, rfc822 } from './values.js';

function capture(tty = false) {
  const text = { out: '', err: '' };
  const io = {
    stdout: { write: (s: string) => (text.out += s), isTTY: tty },
    stderr: { write: (s: string) => (text.err += s) },
    env: {},
  } as unknown as CliIo;
  return { text, ui: new Ui(io) };
}

test('columns: four-space glue, last column unpadded, empty cells as n/a', () => {
  assert.equal(
    columns([
      ['a', 'long value', 'x'],
      ['longer', '', 'y'],
    ]),
    'a         long value    x\nlonger    n/a           y',
  );
  assert.equal(table(['Key', 'Value'], [['k', 'v']]), 'Key    Value\n---    -----\nk      v');
});

test('%v of JSON values: sorted maps, space-separated lists, <nil>', () => {
  assert.equal(goValue({ b: [1, 'x'], a: { c: true } }), 'map[a:map[c:true] b:[1 x]]');
  assert.equal(goValue(null), '<nil>');
  assert.equal(goValue([]), '[]');
  assert.equal(goQuotedList(['default', 'dev']), '["default" "dev"]');
  assert.equal(goQuotedList(null), '[]');
});

test('times print as Go does', () => {
  assert.equal(goTimeString('2024-05-01T10:00:00.123456789Z'), '2024-05-01 10:00:00.123456789 +0000 UTC');
  assert.equal(goTimeString('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
  assert.equal(rfc822('2024-05-01T10:07:00Z'), '01 May 24 10:07 UTC');
});

test('JSON escapes HTML characters as Go does; YAML sorts keys', () => {
  assert.equal(goJson({ a: '<b>&' }), '{\n  "a": "\\u003cb\\u003e\\u0026"\n}');
  assert.equal(toYaml({ b: [1, { c: 'x y' }], a: '' }), 'a: ""\nb:\n- 1\n- c: "x y"');
});

const tokenSecret = parseSecret({
  request_id: 'r',
  lease_id: '',
  lease_duration: 0,
  renewable: false,
  data: null,
  warnings: ['Policy "web" does not exist'],
  auth: {
    client_token: 'hvs.tok',
    accessor: 'acc',
    policies: ['default', 'web'],
    token_policies: ['default', 'web'],
    metadata: { user: 'bob' },
    lease_duration: 3600,
    renewable: true,
    orphan: false,
    entity_id: '',
  },
})!;

test('a secret with auth prints the token rows and its warnings on stderr', () => {
  const { text, ui } = capture();
  assert.equal(outputSecret({ ui, format: 'table', detailed: false }, tokenSecret), 0);
  assert.equal(
    text.out,
    [
      'Key                  Value',
      '---                  -----',
      'token                hvs.tok',
      'token_accessor       acc',
      'token_duration       1h',
      'token_renewable      true',
      'token_policies       ["default" "web"]',
      'identity_policies    []',
      'policies             ["default" "web"]',
      'token_meta_user      bob',
      '',
    ].join('\n'),
  );
  assert.equal(
    text.err,
    'WARNING! The following warnings were returned from Vault:\n\n  * Policy "web" does not exist\n\n',
  );
});

test('JSON keeps the Go client field order and omits empty auth, wrap_info and mount_type', () => {
  const secret = parseSecret({ request_id: 'r', lease_duration: 60, data: { b: 1, a: 2 }, mount_type: '' })!;
  assert.deepEqual(Object.keys(secretJson(secret)), [
    'request_id',
    'lease_id',
    'lease_duration',
    'renewable',
    'data',
    'warnings',
  ]);
  assert.deepEqual(Object.keys(secretJson(secret).data as object), ['a', 'b']);
  assert.deepEqual(Object.keys(secretJson(tokenSecret).auth as object).slice(0, 3), [
    'client_token',
    'accessor',
    'policies',
  ]);
});

test('wrap info rows carry vault colons and Go time', () => {
  const { text, ui } = capture();
  const wrapped = parseSecret({
    wrap_info: {
      token: 'hvs.w',
      accessor: 'wa',
      ttl: 300,
      creation_time: '2024-05-01T10:00:00Z',
      creation_path: 'secret/app',
    },
  })!;
  outputSecret({ ui, format: 'table', detailed: false }, wrapped);
  assert.match(text.out, /wrapping_token: {18}hvs\.w\n/);
  assert.match(text.out, /wrapping_token_ttl: {14}5m\n/);
  assert.match(text.out, /wrapping_token_creation_time: {4}2024-05-01 10:00:00 \+0000 UTC\n/);
  assert.doesNotMatch(text.out, /wrapped_accessor/);
});

test('lists print sorted keys; -detailed adds key_info columns', () => {
  const { text, ui } = capture();
  const secret = parseSecret({ data: { keys: ['b', 'a'], key_info: { a: { ttl: 60 }, b: {} } } })!;
  outputList({ ui, format: 'table', detailed: true }, secret);
  assert.equal(text.out, 'Keys    ttl\n----    ---\na       1m\nb       n/a\n');
});

test('-field prints raw: no newline when piped, a newline on a terminal', () => {
  const piped = capture(false);
  const secret = parseSecret({ request_id: 'r', data: { password: 's3cret', n: { x: 1 } } })!;
  printRawField({ ui: piped.ui, format: 'table', detailed: false }, secret, 'password');
  assert.equal(piped.text.out, 's3cret');
  const tty = capture(true);
  printRawField({ ui: tty.ui, format: 'table', detailed: false }, secret, 'n');
  assert.equal(tty.text.out, 'map[x:1]\n');
  const json = capture(false);
  printRawField({ ui: json.ui, format: 'json', detailed: false }, secret, 'n');
  assert.equal(json.text.out, '{\n  "x": 1\n}');
  const missing = capture(false);
  assert.equal(printRawField({ ui: missing.ui, format: 'table', detailed: false }, secret, 'nope'), 1);
  assert.equal(missing.text.err, 'Field "nope" not present in secret\n');
  const token = capture(false);
  printRawField({ ui: token.ui, format: 'table', detailed: false }, tokenSecret, 'token');
  assert.equal(token.text.out, 'hvs.tok');
});
