/** Each rule against a line it must report and a near miss it must not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchLine, rulesFor } from './detect.js';
import { isBasicAuthPair, RULES } from './rules.js';
import { BASE64, BASE64URL, DIGITS, fake, fakeJwt, randomish } from './testing.js';

const r = randomish;
const AWS_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const b64 = (text: string) => Buffer.from(text).toString('base64');

interface Case {
  rule: string;
  hit: string;
  /** The part of `hit` the rule must report as the secret. */
  secret: string;
  miss: string;
  /** The scanned file, for rules limited to some formats. */
  file?: string;
}

function hit(rule: string, before: string, secret: string, after: string, miss: string): Case {
  return { rule, hit: `${before}${secret}${after}`, secret, miss };
}

const cases: Case[] = [
  hit(
    'coffer-service-token',
    'export VAULT_ADDR=x COFFER_T=',
    fake('hv', 's.', r(24)),
    '',
    `x = 'hvs.${r(8)}'`,
  ),
  hit('coffer-batch-token', 'header: ', fake('hv', 'b.', r(90, BASE64URL)), '', `'hvb.' + suffix`),
  hit('coffer-recovery-token', 'use ', fake('hv', 'r.', r(24)), ' now', `hvr.${r(5)}`),
  hit('vault-legacy-token', 'X-Vault-Token: ', fake('s', '.', r(24)), '', `const s = 's.${r(24)}'`),
  hit('coffer-unseal-key', 'Unseal Key 1: ', fake(r(43, BASE64), '='), '', 'Unseal Key 1: <redacted>'),
  hit(
    'coffer-unseal-key',
    'coffer operator unseal ',
    r(66, 'abcdef0123456789'),
    '',
    'coffer operator unseal -reset',
  ),
  hit(
    'aws-access-key-id',
    'id: ',
    fake('AK', 'IA', r(16, AWS_ID_ALPHABET)),
    '',
    fake('AKIA', 'IOSFODNN7', 'EXAMPLE'),
  ),
  hit(
    'aws-secret-access-key',
    'aws_secret_access_key = ',
    r(40, BASE64),
    '',
    fake('aws_secret_access_key = ', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY', 'EXAMPLEKEY'),
  ),
  hit('github-token', 'git clone https://', fake('gh', 'p_', r(36)), '@github.com/x', `ghx_${r(36)}`),
  hit('github-token', 'GH=', fake('gh', 's_', r(36)), '', `gho_${r(30)}`),
  hit('github-fine-grained-token', '', fake('github', '_pat_', r(22), '_', r(59)), '', `github_pat_${r(22)}`),
  hit('gitlab-token', 'GL ', fake('gl', 'pat-', r(20)), '', `glpat-${r(12)}`),
  // A routable token (GitLab 17): a longer payload, `.01.` and a CRC in base 36.
  hit(
    'gitlab-token',
    'GL=',
    fake('gl', 'pat-', r(38, BASE64URL), '.01.', r(9, 'abcdefghij0123456789')),
    '',
    `glpat-${r(12)}.01`,
  ),
  hit(
    'slack-token',
    'SLACK ',
    fake('xo', 'xb-', r(12, DIGITS), '-', r(13, DIGITS), '-', r(24)),
    '',
    `xoxz-${r(20)}`,
  ),
  hit(
    'slack-webhook',
    'url: ',
    fake('https://hooks.', 'slack.com/services/T', r(8), '/B', r(8), '/', r(24)),
    '',
    'see https://hooks.slack.com/services/',
  ),
  hit('stripe-key', 'stripe(', fake('sk', '_live_', r(24)), ')', `stripe(sk_test_${r(24)})`),
  hit('google-api-key', 'key=', fake('AI', 'za', r(35, BASE64URL)), '', `AIza${r(20)}`),
  hit('npm-token', 'NPM ', fake('np', 'm_', r(36)), '', `npm_${r(20)}`),
  hit(
    'npmrc-auth-token',
    '//registry.npmjs.org/:_authToken=',
    r(32, BASE64URL),
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style reference the scanner must ignore
    '//r/:_authToken=${NPM_TOKEN}',
  ),
  hit(
    'docker-config-auth',
    '      "auth": "',
    b64(`ci-bot:${r(20)}`),
    '"',
    `      "auth": "${b64('ci-bot')}"`,
  ),
  hit(
    'docker-config-auth',
    '{"auths":{"ghcr.io":{"auth":"',
    b64(`octo:${r(36)}`),
    '"}}}',
    '{"auths":{"ghcr.io":{}},"credsStore":"desktop"}',
  ),
  {
    ...hit(
      'netrc-password',
      'machine api.example.net login ci-bot password ',
      r(20),
      '',
      'machine api.example.net login ci-bot password $API_TOKEN',
    ),
    file: '.netrc',
  },
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference the scanner must ignore
    ...hit('netrc-password', '  password ', r(16), '', '  password ${NETRC_PASSWORD}'),
    file: 'home/ci/_netrc',
  },
  hit('jwt', 'Authorization: Bearer ', fakeJwt(), '', 'eyJhbGciOiJIUzI1NiJ9 only a header'),
  hit(
    'connection-url-password',
    'postgres://app:',
    r(16),
    '@db:5432/app',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style reference the scanner must ignore
    'postgres://app:${DB_PASSWORD}@db/app',
  ),
  hit('connection-url-password', 'mongodb+srv://app:', r(12), '@cluster0/x', 'mongodb+srv://cluster0/x'),
  hit('connection-url-password', 'REDIS_URL=redis://:', r(12), '@cache:6379', 'redis://cache:6379/0'),
  hit('connection-url-password', 'amqp://guest:', r(12), '@mq', 'amqp://mq:5672'),
  hit('connection-url-password', 'mysql://root:', r(12), '@db/app', 'mysql://root:changeme@db/app'),
  hit('dotenv-secret', 'DB_PASSWORD=', r(16), '', 'DB_PASSWORD=$FROM_ENV'),
  hit('dotenv-secret', 'ENV STRIPE_SECRET=', r(16), '', 'ENV STRIPE_SECRET=""'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression the scanner must ignore
  hit('dotenv-secret', '      DEPLOY_TOKEN: ', r(16), '', '      DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}'),
  hit('dotenv-secret', '  - REGISTRY_PASSWORD=', r(16), '', '  - REGISTRY_PASSWORD'),
  // Short names (DB_PASS, MYSQL_PWD), but not the shell's own PWD.
  hit('dotenv-secret', 'DB_PASS=', r(16), '', `PWD=/home/${r(16)}`),
  hit('dotenv-secret', 'export MYSQL_PWD=', r(16), '', `OLDPWD=/srv/${r(16)}`),
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference the scanner must ignore
    ...hit('config-secret', '  password: ', r(16), '', '  password: ${DB_PASSWORD}'),
    file: 'app/config.yml',
  },
  {
    ...hit('config-secret', 'db.password=', r(16), ' # prod', 'db.password='),
    file: 'application.properties',
  },
  { ...hit('config-secret', 'api_key = ', r(16), '', 'api_key = changeme-changeme'), file: 'conf/app.ini' },
  hit('generic-secret', 'const apiKey = "', r(20), '";', 'const apiKey = "aaaaaaaabbbbbbbb";'),
  hit('generic-secret', "  password: '", r(16), "',", "  password_file: '/run/secrets/db-password-file',"),
  hit('generic-secret', 'token = "', r(16), '"', 'credentials: `withCredentials`'),
];

for (const c of cases) {
  test(`${c.rule} reports ${c.hit.slice(0, 24)}…`, () => {
    const found = matchLine(c.hit, rulesFor(c.file));
    assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.ruleId)));
    assert.equal(found[0].ruleId, c.rule);
    assert.equal(found[0].secret, c.secret);
    assert.equal(found[0].column, c.hit.indexOf(c.secret) + 1);
  });
  test(`${c.rule} ignores the near miss ${c.miss.slice(0, 24)}…`, () => {
    assert.deepEqual(matchLine(c.miss, rulesFor(c.file)), []);
  });
}

test('every rule has a true-positive case', () => {
  const tested = new Set(cases.map((c) => c.rule));
  assert.deepEqual(
    RULES.map((rule) => rule.id).filter((id) => !tested.has(id)),
    [],
  );
});

test('every rule regex is global (matchAll needs it) and ids are unique', () => {
  for (const rule of RULES) assert.ok(rule.pattern.global, rule.id);
  assert.equal(new Set(RULES.map((rule) => rule.id)).size, RULES.length);
});

test('docker-config-auth reports only base64 of user:password with a real password', () => {
  assert.ok(isBasicAuthPair(b64(`ci-bot:${r(12)}`)));
  for (const auth of [
    '',
    'dGVzdA',
    b64('ci-bot'),
    b64(':no-user'),
    b64('ci-bot:'),
    b64('ci-bot:changeme'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference the scanner must ignore
    b64('ci-bot:${REGISTRY_PASSWORD}'),
    Buffer.from([0x00, 0x3a, 0xff, 0xfe, 0x41, 0x42]).toString('base64'),
    `${b64(`ci-bot:${r(12)}`)}!`,
  ]) {
    assert.deepEqual(matchLine(`"auth": "${auth}"`), [], auth);
  }
});

test('netrc-password reads .netrc and _netrc only: elsewhere `password word` is prose or code', () => {
  const line = `machine example.org login me password ${r(16)}`;
  assert.equal(matchLine(line, rulesFor('/home/me/.netrc')).length, 1);
  assert.equal(matchLine(line, rulesFor('C:\\Users\\me\\_netrc')).length, 1);
  assert.deepEqual(matchLine(line, rulesFor('docs/setup.md')), []);
  assert.deepEqual(matchLine(line, rulesFor('my.netrc.example')), []);
  assert.deepEqual(matchLine('# password for the staging box', rulesFor('.netrc')), []);
});

test('config-secret reads configuration files only: in code, `password: value` is usually a type or a variable', () => {
  const line = `  password: ${r(16)}`;
  assert.equal(matchLine(line, rulesFor('deploy/values.yaml')).length, 1);
  assert.deepEqual(matchLine(line, rulesFor('src/types.ts')), []);
  assert.deepEqual(matchLine(line), []);
});

test('no rule backtracks catastrophically: 100 KB lines of keywords, name characters or spaces stay fast', () => {
  const pieces = [
    'a',
    'A',
    '_',
    ' ',
    '-',
    'SECRET',
    'secret',
    'password',
    'token',
    'vault',
    'key',
    'x=',
    ': ',
  ];
  for (const rule of RULES) {
    for (const piece of [...pieces, ...(rule.keywords ?? [])]) {
      const line = piece.repeat(Math.ceil(100_000 / piece.length)).slice(0, 100_000);
      const start = performance.now();
      matchLine(line, [rule]);
      const ms = performance.now() - start;
      // Linear rules take a few milliseconds; the quadratic ones took seconds.
      assert.ok(ms < 750, `${rule.id} on ${JSON.stringify(piece)} × 100 KB: ${ms.toFixed(0)} ms`);
    }
  }
});
