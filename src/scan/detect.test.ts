/** Key blocks across lines, the inline allow comment, and which rule wins an overlap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALLOW_MARKER, LineDetector, type LineMatch, matchLine } from './detect.js';
import { BASE64, fake, opensshBody, pemLines, randomish } from './testing.js';

function detectAll(lines: string[]): LineMatch[] {
  const detector = new LineDetector();
  return lines.flatMap((text, i) => detector.line(text, i + 1));
}

const keyCases = [
  { name: 'an RSA key', lines: pemLines('RSA PRIVATE KEY'), rule: 'private-key' },
  { name: 'a PKCS#8 key', lines: pemLines('PRIVATE KEY'), rule: 'private-key' },
  { name: 'an EC key', lines: pemLines('EC PRIVATE KEY'), rule: 'private-key' },
  {
    name: 'an OpenSSH key without passphrase',
    lines: pemLines('OPENSSH PRIVATE KEY', [], opensshBody('none')),
    rule: 'private-key',
  },
  {
    name: 'a PGP key after its armour headers',
    lines: pemLines('PGP PRIVATE KEY BLOCK', ['Version: GnuPG v2', '']),
    rule: 'private-key',
  },
  { name: 'a PKCS#8 encrypted key', lines: pemLines('ENCRYPTED PRIVATE KEY'), rule: 'private-key-encrypted' },
  {
    name: 'an OpenSSL-encrypted RSA key',
    lines: pemLines('RSA PRIVATE KEY', ['Proc-Type: 4,ENCRYPTED', 'DEK-Info: AES-128-CBC,00FF', '']),
    rule: 'private-key-encrypted',
  },
  {
    name: 'an OpenSSH key with a passphrase',
    lines: pemLines('OPENSSH PRIVATE KEY', [], opensshBody('aes256-ctr')),
    rule: 'private-key-encrypted',
  },
  {
    name: 'a key in a JSON string',
    lines: [`{"key": "${pemLines('RSA PRIVATE KEY').join('\\n')}"}`],
    rule: 'private-key',
  },
];

for (const c of keyCases) {
  test(`reports ${c.name} once, at its BEGIN line`, () => {
    const found = detectAll(c.lines);
    assert.deepEqual(
      found.map((f) => [f.ruleId, f.line, f.column]),
      [[c.rule, 1, c.lines[0].indexOf('-----BEGIN') + 1]],
    );
  });
}

test('a BEGIN line alone (code that names the header) is not a key', () => {
  const header = pemLines('RSA PRIVATE KEY')[0];
  assert.deepEqual(detectAll([`const HEADER = '${header}';`, 'export function parse() {', '}']), []);
  assert.deepEqual(detectAll([`if (pem.startsWith('${header}')) {`, `  throw new Error('x');`]), []);
});

test('two keys give two different secrets (so two fingerprints)', () => {
  const found = detectAll([
    ...pemLines('PRIVATE KEY'),
    ...pemLines('PRIVATE KEY', [], randomish(64, BASE64, 3)),
  ]);
  assert.equal(found.length, 2);
  assert.notEqual(found[0].secret, found[1].secret);
});

test('the allow comment silences its line only', () => {
  const token = fake('gh', 'p_', randomish(36));
  assert.deepEqual(matchLine(`const t = '${token}'; // ${ALLOW_MARKER}`), []);
  assert.equal(matchLine(`const t = '${token}';`).length, 1);
  const key = pemLines('PRIVATE KEY');
  assert.deepEqual(detectAll([`${key[0]} # ${ALLOW_MARKER}`, ...key.slice(1)]), []);
});

test('a specific rule wins over the generic one on the same secret', () => {
  const found = matchLine(`GITHUB_TOKEN="${fake('gh', 'p_', randomish(36))}"`);
  assert.deepEqual(
    found.map((f) => f.ruleId),
    ['github-token'],
  );
});

test('two secrets on one line are both reported', () => {
  const line = `a=${fake('gh', 'p_', randomish(36))} b=${fake('gl', 'pat-', randomish(20))}`;
  assert.deepEqual(
    matchLine(line).map((f) => f.ruleId),
    ['github-token', 'gitlab-token'],
  );
});

test('unseal and recovery key shares in pretty-printed init JSON, one finding per share', () => {
  const b64 = fake(randomish(43, BASE64, 5), '=');
  const hex = randomish(66, '0123456789abcdef', 6);
  const lines = [
    '{',
    '  "unseal_keys_b64": [',
    `    "${b64}",`,
    `    "${randomish(43, BASE64, 8)}="`,
    '  ],',
    '  "unseal_keys_hex": [',
    `    "${hex}"`,
    '  ],',
    '  "unseal_shares": 3,',
    '  "keys": [',
    `    "${hex}"`,
    '  ]',
    '}',
  ];
  const found = detectAll(lines);
  assert.deepEqual(
    found.map((f) => [f.ruleId, f.line, f.column]),
    [
      ['coffer-unseal-key', 3, 6],
      ['coffer-unseal-key', 4, 6],
      ['coffer-unseal-key', 7, 6],
    ],
  );
  assert.equal(found[0].secret, b64);
});
