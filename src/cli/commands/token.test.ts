/** `login` (token helper file included) and `token …`: requests sent, output and exit codes. */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { envelope, type FakeVault, startFakeVault } from '../../client/testing.js';
import { runCli, tempHome } from '../testing.js';

let fake: FakeVault;
let home: string;
let cleanup: () => Promise<void>;
const last = () => fake.requests.at(-1)!;

const lookupData = {
  id: 'hvs.good',
  accessor: 'acc-1',
  policies: ['default', 'dev'],
  meta: { team: 'a' },
  ttl: 2764800,
  renewable: true,
  display_name: 'token',
};
const authBody = envelope({
  auth: {
    client_token: 'hvs.child',
    accessor: 'acc-2',
    policies: ['default', 'web'],
    token_policies: ['default', 'web'],
    metadata: null,
    lease_duration: 3600,
    renewable: true,
    entity_id: '',
    orphan: false,
  },
});

before(async () => {
  ({ home, cleanup } = await tempHome());
  fake = await startFakeVault({
    'GET auth/token/lookup-self': (req) =>
      req.headers['x-vault-token'] === 'hvs.good'
        ? { body: envelope({ data: lookupData }) }
        : { status: 403, body: { errors: ['permission denied'] } },
    'PUT auth/userpass/login/bob': { body: authBody },
    'POST auth/token/create': { body: authBody },
    'POST auth/token/create/ci': { body: authBody },
    'POST auth/token/lookup': { body: envelope({ data: lookupData }) },
    'POST auth/token/lookup-accessor': { body: envelope({ data: { ...lookupData, id: '' } }) },
    'PUT auth/token/renew-self': { body: authBody },
    'PUT auth/token/renew': { body: authBody },
    'PUT auth/token/revoke': { status: 204 },
    'PUT auth/token/revoke-self': { status: 204 },
    'PUT auth/token/revoke-orphan': { status: 204 },
    'POST auth/token/revoke-accessor': { status: 204 },
    'POST sys/capabilities-self': {
      body: envelope({ data: { capabilities: ['update', 'read'], 'secret/app': ['update', 'read'] } }),
    },
    'POST sys/capabilities': { body: envelope({ data: { 'secret/app': ['deny'] } }) },
  });
});
after(async () => {
  await fake.close();
  await cleanup();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const env = (extra: Record<string, string> = {}) => ({ VAULT_ADDR: fake.address, HOME: home, ...extra });

describe('login', () => {
  test('login TOKEN checks it with lookup-self, stores it 0600 and prints the token table', async () => {
    const r = await runCli(['login', 'hvs.good'], { env: env() });
    assert.equal(r.code, 0);
    assert.equal(last().path, 'auth/token/lookup-self');
    assert.equal(last().headers['x-vault-token'], 'hvs.good');
    const file = join(home, '.vault-token');
    assert.equal(await readFile(file, 'utf8'), 'hvs.good');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(r.stdout, /^Success! You are now authenticated\./);
    assert.match(r.stdout, /token {16}hvs\.good\ntoken_accessor {7}acc-1\ntoken_duration {7}768h\n/);
    assert.match(r.stdout, /token_policies {7}\["default" "dev"\]\n/);
    assert.match(r.stdout, /token_meta_team {6}a\n/);
  });

  test('later commands use the stored token', async () => {
    await writeFile(join(home, '.vault-token'), 'hvs.good\n');
    await runCli(['token', 'lookup'], { env: env() });
    assert.equal(last().headers['x-vault-token'], 'hvs.good');
  });

  test('a rejected token is exit 2 and nothing is stored', async () => {
    await writeFile(join(home, '.vault-token'), 'hvs.previous');
    const r = await runCli(['login', 'hvs.bad'], { env: env() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error authenticating: error looking up token: Error making API request\./);
    assert.equal(await readFile(join(home, '.vault-token'), 'utf8'), 'hvs.previous');
  });

  test('-no-store leaves the file alone; -token-only prints just the token', async () => {
    await writeFile(join(home, '.vault-token'), 'hvs.previous');
    const r = await runCli(['login', '-no-store', 'hvs.good'], { env: env() });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /not stored in the token helper/);
    const t = await runCli(['login', '-token-only', 'hvs.good'], { env: env() });
    assert.equal(t.stdout, 'hvs.good');
    assert.equal(await readFile(join(home, '.vault-token'), 'utf8'), 'hvs.previous');
  });

  test('login - reads the token from stdin', async () => {
    const r = await runCli(['login', '-no-store', '-'], { env: env(), stdin: 'hvs.good\n' });
    assert.equal(r.code, 0);
    assert.equal(last().headers['x-vault-token'], 'hvs.good');
  });

  test('-method=userpass logs in without the stored token', async () => {
    await writeFile(join(home, '.vault-token'), 'hvs.previous');
    const r = await runCli(['login', '-method=userpass', '-no-store', 'username=bob', 'password=pw'], {
      env: env(),
    });
    assert.equal(r.code, 0);
    assert.equal(`${last().method} ${last().path}`, 'PUT auth/userpass/login/bob');
    assert.deepEqual(last().body, { password: 'pw' });
    assert.equal(last().headers['x-vault-token'], undefined);
  });

  test('an unknown method is a usage error', async () => {
    const r = await runCli(['login', '-method=nope', 'x=y'], { env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Unknown auth method: nope\./);
  });
});

describe('token', () => {
  const root = () => env({ VAULT_TOKEN: 'hvs.root' });

  test('create sends the Go client body; repeatable -policy and -metadata', async () => {
    const r = await runCli(
      [
        'token',
        'create',
        '-policy=web',
        '-policy',
        'db',
        '-ttl=1h',
        '-metadata=team=a',
        '-display-name=ci',
        '-use-limit=3',
      ],
      { env: root() },
    );
    assert.equal(r.code, 0);
    assert.equal(`${last().method} ${last().path}`, 'POST auth/token/create');
    assert.deepEqual(last().body, {
      policies: ['web', 'db'],
      meta: { team: 'a' },
      ttl: '1h0m0s',
      explicit_max_ttl: '0s',
      period: '0s',
      display_name: 'ci',
      num_uses: 3,
      renewable: true,
      type: 'service',
      entity_alias: '',
    });
    assert.match(r.stdout, /token {16}hvs\.child\n/);
  });

  test('create -role, -orphan, -type=batch and -field=token', async () => {
    const r = await runCli(['token', 'create', '-role=ci', '-orphan', '-type=batch', '-field=token'], {
      env: root(),
    });
    assert.equal(last().path, 'auth/token/create/ci');
    assert.equal(last().body.no_parent, true);
    assert.equal(last().body.renewable, false);
    assert.equal(r.stdout, 'hvs.child');
  });

  test('lookup: self, by token, by accessor', async () => {
    await runCli(['token', 'lookup'], { env: env({ VAULT_TOKEN: 'hvs.good' }) });
    assert.equal(`${last().method} ${last().path}`, 'GET auth/token/lookup-self');
    await runCli(['token', 'lookup', 'hvs.other'], { env: root() });
    assert.deepEqual([last().path, last().body], ['auth/token/lookup', { token: 'hvs.other' }]);
    const r = await runCli(['token', 'lookup', '-accessor', 'acc-1'], { env: root() });
    assert.deepEqual([last().path, last().body], ['auth/token/lookup-accessor', { accessor: 'acc-1' }]);
    assert.match(r.stdout, /ttl {13}768h\n/);
  });

  test('renew sends the increment in seconds', async () => {
    await runCli(['token', 'renew', '-increment=1h'], { env: root() });
    assert.deepEqual(
      [last().method, last().path, last().body],
      ['PUT', 'auth/token/renew-self', { increment: 3600 }],
    );
    await runCli(['token', 'renew', '-i', '30', 'hvs.other'], { env: root() });
    assert.deepEqual(last().body, { token: 'hvs.other', increment: 30 });
  });

  test('revoke: tree by default, -self, -mode=orphan, -accessor', async () => {
    let r = await runCli(['token', 'revoke', 'hvs.x'], { env: root() });
    assert.equal(r.stdout, 'Success! Revoked token (if it existed)\n');
    assert.deepEqual([last().path, last().body], ['auth/token/revoke', { token: 'hvs.x' }]);
    await runCli(['token', 'revoke', '-self'], { env: root() });
    assert.equal(last().path, 'auth/token/revoke-self');
    await runCli(['token', 'revoke', '-mode=orphan', 'hvs.x'], { env: root() });
    assert.equal(last().path, 'auth/token/revoke-orphan');
    await runCli(['token', 'revoke', '-accessor', 'acc-9'], { env: root() });
    assert.deepEqual([last().path, last().body], ['auth/token/revoke-accessor', { accessor: 'acc-9' }]);
    r = await runCli(['token', 'revoke'], { env: root() });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Not enough arguments (expected 1 or -self, got 0)\n');
  });

  test('capabilities of the caller or of another token', async () => {
    const r = await runCli(['token', 'capabilities', 'secret/app'], { env: root() });
    assert.equal(r.stdout, 'read, update\n');
    assert.deepEqual([last().path, last().body], ['sys/capabilities-self', { paths: ['secret/app'] }]);
    const other = await runCli(['token', 'capabilities', 'hvs.x', 'secret/app'], { env: root() });
    assert.equal(other.stdout, 'deny\n');
    assert.deepEqual(last().body, { token: 'hvs.x', paths: ['secret/app'] });
  });
});
