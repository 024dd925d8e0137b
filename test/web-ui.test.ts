/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real server with
 * `ui = true`: sign-in, KV v2 end to end, and SECURITY.md K6 (HTML in values stays text, the CSP,
 * nothing of one user left for the next after sign-out, the token never in localStorage). Like the LDAP
 * tests with slapd, it fails rather than skips without Chromium: .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { removeServerDir, startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: TestServer;
/** The same server without `ui = true`, Coffer's default. */
let noUi: TestServer;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
  [server, noUi] = await Promise.all([
    startTestServer({ storage: 'inmem', extraConfig: 'ui = true' }),
    startTestServer({ storage: 'inmem' }),
  ]);
  const root = server.rootToken;
  const ok = async (method: string, path: string, body: unknown) => {
    const res = await server.api(method, path, body, root);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  };
  await ok('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  await ok('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  await ok('POST', 'sys/auth/userpass', { type: 'userpass' });
  await ok('PUT', 'sys/policies/acl/alice', {
    policy:
      'path "secret/data/alice/*" { capabilities = ["read", "list"] }\npath "secret/metadata/*" { capabilities = ["read", "list"] }',
  });
  await ok('PUT', 'sys/policies/acl/bob', { policy: 'path "secret/data/bob/*" { capabilities = ["read"] }' });
  await ok('POST', 'secret/data/bob/note', { data: { text: 'for bob' } });
  await ok('POST', 'auth/userpass/users/alice', { password: 'alice-password-1', policies: 'alice' });
  await ok('POST', 'auth/userpass/users/bob', { password: 'bob-password-22', policies: 'bob' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  for (const s of [server, noUi]) {
    await s?.stop();
    if (s) await removeServerDir(s);
  }
});

test('/ redirects to /ui/ with ui = true; without it neither is served; the API is never cached', async () => {
  const root = await fetch(`${server.address}/`, { redirect: 'manual' });
  assert.equal(root.status, 307);
  assert.equal(root.headers.get('location'), '/ui/');
  const page = await fetch(`${server.address}/ui/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.match(await page.text(), /<script type="module" src="\/ui\/main.js">/);
  for (const path of ['/', '/ui', '/ui/', '/ui/main.js'])
    assert.equal((await fetch(`${noUi.address}${path}`, { redirect: 'manual' })).status, 404, path);
  await server.api('POST', 'secret/data/cache-check', { data: { k: 'v' } }, server.rootToken);
  const read = await server.api('GET', 'secret/data/cache-check', undefined, server.rootToken);
  assert.equal(read.headers.get('cache-control'), 'no-store');
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: server.address });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  return { context, page };
}

let rootSession: { context: BrowserContext; page: Page } | undefined;

/** One tab signed in as root, shared by the tests that act as root; the K6 tests open their own. */
async function rootPage(): Promise<Page> {
  if (!rootSession) {
    rootSession = await newPage();
    await signInWithToken(rootSession.page, server.rootToken);
  }
  return rootSession.page;
}

async function signInWithToken(page: Page, token: string) {
  await page.goto('/');
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
}

async function signInWithPassword(page: Page, username: string, password: string) {
  await page.goto('/ui/');
  await page.locator('#method').selectOption('userpass');
  assert.equal(await page.locator('#mount').inputValue(), 'userpass');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
}

/** Everything the tab keeps: the page's text and both web storages. */
async function tabContents(page: Page): Promise<string> {
  // textContent, not innerText: hidden elements count too.
  const text = (await page.locator('body').textContent()) ?? '';
  const storage = await page.evaluate('JSON.stringify([{ ...sessionStorage }, { ...localStorage }])');
  return `${text}\n${String(storage)}`;
}

test('password fields never carry autocomplete=off, which Chrome ignores on them', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto('/ui/');
    assert.equal(await page.locator('#token').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#password').getAttribute('autocomplete'), 'current-password');
    assert.equal(await page.locator('#username').getAttribute('autocomplete'), 'username');
    await signInWithToken(page, server.rootToken);
    await page.goto('/ui/#/create/secret/');
    await page.locator('input.kv-value').first().waitFor();
    await page.getByRole('button', { name: 'Add row' }).click();
    const values = page.locator('input.kv-value');
    assert.equal(await values.count(), 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(await values.nth(i).getAttribute('type'), 'password');
      assert.equal(await values.nth(i).getAttribute('autocomplete'), 'new-password');
    }
    const offPasswords = "document.querySelectorAll('input[type=password][autocomplete=off]').length";
    assert.equal(await page.evaluate(offPasswords), 0);
  } finally {
    await context.close();
  }
});

test('happy path: sign in with a token, create a KV v2 secret, read it, write a version, delete it', async () => {
  const page = await rootPage();
  await page.getByRole('link', { name: 'secret/' }).click();
  await page.getByRole('link', { name: 'Create secret' }).click();
  await page.locator('#path').fill('app/db');
  await page.getByLabel('Key').fill('password');
  await page.locator('input.kv-value').fill('first-value-123');
  await page.getByRole('button', { name: 'Save' }).click();
  const value = page.getByTestId('value-password');
  await value.waitFor();
  assert.equal(await value.textContent(), '••••••••', 'masked until revealed');
  await page.getByRole('button', { name: 'Reveal password' }).click();
  assert.equal(await value.textContent(), 'first-value-123');

  await page.getByRole('link', { name: 'Create new version' }).click();
  await page.locator('input.kv-value').fill('second-value-456');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Versions (current: 2)').waitFor();
  await page.getByRole('button', { name: 'Reveal password' }).click();
  assert.equal(await page.getByTestId('value-password').textContent(), 'second-value-456');
  const read = await server.api('GET', 'secret/data/app/db', undefined, server.rootToken);
  assert.deepEqual(read.body.data.data, { password: 'second-value-456' });
  assert.equal(read.body.data.metadata.version, 2);

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByTestId('deleted').waitFor();
  const deleted = await server.api('GET', 'secret/metadata/app/db', undefined, server.rootToken);
  assert.notEqual(deleted.body.data.versions['2'].deletion_time, '');
  assert.equal(deleted.body.data.versions['1'].deletion_time, '');
  await page.getByRole('button', { name: 'Undelete' }).click();
  await page.getByRole('button', { name: 'Reveal password' }).click();
  assert.equal(await page.getByTestId('value-password').textContent(), 'second-value-456');
  const restored = await server.api('GET', 'secret/metadata/app/db', undefined, server.rootToken);
  assert.equal(restored.body.data.versions['2'].deletion_time, '');

  // Check-and-set: an edit opened at version 2 is refused once someone else wrote version 3.
  await page.getByRole('link', { name: 'Create new version' }).click();
  await page.locator('input.kv-key').fill('password');
  await page.locator('input.kv-value').fill('third-from-ui');
  const other = await server.api(
    'POST',
    'secret/data/app/db',
    { data: { password: 'v3' } },
    server.rootToken,
  );
  assert.equal(other.status, 200);
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(String(await page.getByTestId('notice').textContent()), /check-and-set/);
  const latest = await server.api('GET', 'secret/data/app/db', undefined, server.rootToken);
  assert.deepEqual(latest.body.data.data, { password: 'v3' });

  // KV v1: the same screens on the mount's own paths.
  await page.locator('#nav').getByRole('link', { name: 'Secrets' }).click();
  await page.getByRole('link', { name: 'kv1/' }).click();
  await page.getByText('No secrets here yet.').waitFor();
  await page.getByRole('link', { name: 'Create secret' }).click();
  await page.locator('#path').fill('team/token');
  await page.locator('input.kv-key').fill('value');
  await page.locator('input.kv-value').fill('v1-value-789');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'Reveal value' }).click();
  assert.equal(await page.getByTestId('value-value').textContent(), 'v1-value-789');
  assert.deepEqual((await server.api('GET', 'kv1/team/token', undefined, server.rootToken)).body.data, {
    value: 'v1-value-789',
  });
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No secrets here yet.').waitFor();
  assert.equal((await server.api('GET', 'kv1/team/token', undefined, server.rootToken)).status, 404);
});

test('policies: create, read, edit and delete an ACL policy; the token panel shows root', async () => {
  const page = await rootPage();
  const policyOf = async () =>
    await server.api('GET', 'sys/policies/acl/ui-made', undefined, server.rootToken);
  await page.getByRole('link', { name: 'Policies' }).click();
  await page.getByRole('link', { name: 'Create policy' }).click();
  await page.locator('#policy-name').fill('ui-made');
  await page.locator('#policy-body').fill('path "secret/data/ui/*" { capabilities = ["read"] }');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('policy-text').waitFor();
  assert.match(String(await page.getByTestId('policy-text').textContent()), /secret\/data\/ui\/\*/);
  assert.match((await policyOf()).body.data.policy, /secret\/data\/ui/);

  await page.getByRole('link', { name: 'Edit' }).click();
  await page.locator('#policy-body').fill('path "secret/data/other/*" { capabilities = ["list"] }');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('secret/data/other/*', { exact: false }).waitFor();
  assert.match((await policyOf()).body.data.policy, /secret\/data\/other/);

  // A policy that does not parse is refused with the server's own error.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.locator('#policy-body').fill('path "x" { capabilities = ');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('notice').waitFor();
  assert.match((await policyOf()).body.data.policy, /secret\/data\/other/);

  await page.goto('/ui/#/policy/ui-made');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByTestId('policies').waitFor();
  assert.equal((await policyOf()).status, 404);
  assert.equal(await page.getByRole('link', { name: 'ui-made' }).count(), 0);

  await page.getByRole('link', { name: 'Token' }).click();
  const panel = page.getByTestId('token');
  await panel.waitFor();
  assert.match(String(await panel.textContent()), /Policiesroot/);
  assert.match(String(await panel.textContent()), /never expires/);
});

test('K6: HTML and script in a KV value are shown as text, never run, under a strict CSP', async () => {
  const html = '<img src=x onerror="window.__xss=1">';
  const script = '<script>window.__xss=2</script>';
  const write = await server.api(
    'POST',
    'secret/data/xss',
    { data: { html, script, '<b onmouseover="window.__xss=3">key</b>': 'v' } },
    server.rootToken,
  );
  assert.equal(write.status, 200);
  const page = await rootPage();
  const response = await page.goto('/ui/');
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.goto('/ui/#/show/secret/xss');
  await page.getByRole('button', { name: 'Reveal html' }).click();
  await page.getByRole('button', { name: 'Reveal script' }).click();
  assert.equal(await page.getByTestId('value-html').textContent(), html);
  assert.equal(await page.getByTestId('value-script').textContent(), script);
  assert.ok(await page.getByText(html, { exact: true }).isVisible(), 'the markup is visible as text');
  await page.getByText('<b onmouseover="window.__xss=3">key</b>').hover();
  assert.equal(await page.locator('table.secret img, table.secret script, table.secret b').count(), 0);
  assert.equal(await page.evaluate('typeof window.__xss'), 'undefined');
  // The CSP itself: an inline script injected by any other means would not run either.
  const blocked = await page.evaluate(`(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    return typeof window.__inline;
  })()`);
  assert.equal(blocked, 'undefined');
});

test('a crafted link with . or .. in a path never sends the UI to another API path (sys/policies here)', async () => {
  const policy = await server.api(
    'PUT',
    'sys/policies/acl/victim',
    { policy: 'path "x" { capabilities = ["read"] }' },
    server.rootToken,
  );
  assert.ok(policy.status < 300);
  const page = await rootPage();
  const sent: string[] = [];
  const record = (request: { url(): string }) => void sent.push(new URL(request.url()).pathname);
  page.on('request', record);
  try {
    // The browser resolves dot segments in fetch URLs: kv1/../sys/policies/acl/victim is sys/policies/acl/victim.
    for (const hash of [
      '#/show/kv1/..%2Fsys%2Fpolicies%2Facl%2Fvictim',
      '#/show/secret/.%2F..%2F..%2Fsys%2Fpolicies%2Facl%2Fvictim',
      '#/policy/..%2F..%2Fpolicies%2Facl%2Fvictim',
    ]) {
      await page.goto(`/ui/${hash}`);
      // Refused with a message; before the fix, the policy showed as a secret with a Delete button.
      await page.locator('[data-testid=notice], button.danger').first().waitFor();
      const remove = page.getByRole('button', { name: 'Delete' });
      if (await remove.count()) await remove.click();
    }
    await page.waitForTimeout(300);
  } finally {
    page.off('request', record);
  }
  assert.deepEqual(
    sent.filter((path) => path.startsWith('/v1/sys/policies')),
    [],
  );
  assert.equal((await server.api('GET', 'sys/policies/acl/victim', undefined, server.rootToken)).status, 200);
});

test('K6: after alice signs out, bob in the same tab sees nothing of hers, even with the back button', async () => {
  const aliceValue = 'alice-only-value-7f3a';
  const write = await server.api(
    'POST',
    'secret/data/alice/cfg',
    { data: { api_key: aliceValue } },
    server.rootToken,
  );
  assert.equal(write.status, 200);
  const { context, page } = await newPage();
  try {
    await signInWithPassword(page, 'alice', 'alice-password-1');
    const aliceToken = String(await page.evaluate("sessionStorage.getItem('coffer.token')"));
    assert.match(aliceToken, /^hvs\./);
    assert.equal(await page.evaluate('localStorage.length'), 0, 'the token is never in localStorage');
    await page.getByRole('link', { name: 'secret/' }).click();
    await page.getByRole('link', { name: 'alice/' }).click();
    await page.getByRole('link', { name: 'cfg' }).click();
    await page.getByRole('button', { name: 'Reveal api_key' }).click();
    assert.equal(await page.getByTestId('value-api_key').textContent(), aliceValue);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    const afterSignOut = await tabContents(page);
    assert.ok(!afterSignOut.includes(aliceValue));
    assert.ok(!afterSignOut.includes(aliceToken));
    // Signing out revoked the token the UI logged in for.
    assert.equal((await server.api('GET', 'auth/token/lookup-self', undefined, aliceToken)).status, 403);

    await signInWithPassword(page, 'bob', 'bob-password-22');
    for (let step = 0; step < 3; step++) {
      await page.goBack();
      await page.waitForTimeout(200);
      assert.ok(!(await tabContents(page)).includes(aliceValue), `back ${step + 1}`);
    }
    await page.goto('/ui/#/show/secret/alice%2Fcfg');
    await page.getByTestId('notice').waitFor();
    assert.match(String(await page.getByTestId('notice').textContent()), /permission denied/);
    const bobsTab = await tabContents(page);
    assert.ok(!bobsTab.includes(aliceValue), 'no value of alice on screen or in storage');
    assert.ok(!bobsTab.includes(aliceToken));
    assert.ok(!bobsTab.includes('api_key'));
  } finally {
    await context.close();
  }
});

test('a token revoked elsewhere ends the session on its next 403', async () => {
  const { context, page } = await newPage();
  try {
    // A token that is not valid never becomes the session; one without the default policy (so without
    // lookup-self) can still sign in, and a 403 on what it may not read does not sign it out.
    await page.goto('/ui/');
    await page.locator('#token').fill('hvs.not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(String(await page.getByTestId('notice').textContent()), /permission denied/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    const bare = await server.api(
      'POST',
      'auth/token/create',
      { policies: ['bob'], no_default_policy: true, ttl: '10m' },
      server.rootToken,
    );
    await signInWithToken(page, bare.body.auth.client_token);
    await page.locator('#nav').getByRole('link', { name: 'Token' }).click();
    await page.getByTestId('notice').waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('coffer.token')"), bare.body.auth.client_token);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();

    // A wrong password: the API's own error, and no session.
    await page.goto('/ui/');
    await page.locator('#method').selectOption('userpass');
    await page.locator('#username').fill('bob');
    await page.locator('#password').fill('not-bobs-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(String(await page.getByTestId('notice').textContent()), /invalid username or password/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await signInWithPassword(page, 'bob', 'bob-password-22');
    const token = String(await page.evaluate("sessionStorage.getItem('coffer.token')"));
    // bob may read data/ but not metadata/: the secret shows, without its versions, and no error.
    await page.goto('/ui/#/show/secret/bob%2Fnote');
    await page.getByTestId('value-text').waitFor();
    assert.equal(await page.getByTestId('notice').count(), 0);
    assert.equal(await page.getByTestId('versions').count(), 0);
    await page.locator('#nav').getByRole('link', { name: 'Token' }).click();
    await page.getByTestId('token').waitFor();
    assert.match(
      String(await page.getByTestId('token').textContent()),
      /Policiesbob, default|Policiesdefault, bob/,
    );
    // The panel re-renders after the renewal (lookup-self again): wait for that, so that the nav link
    // clicked below is not replaced under the click on a slow machine.
    const refreshed = page.waitForResponse((response) => response.url().includes('auth/token/lookup-self'));
    await page.getByRole('button', { name: 'Renew' }).click();
    await refreshed;
    await page.getByTestId('token').waitFor();
    assert.equal(await page.getByTestId('notice').count(), 0, 'renewing raised no error');
    const revoke = await server.api('POST', 'auth/token/revoke', { token }, server.rootToken);
    assert.equal(revoke.status, 204);
    await page.locator('#nav').getByRole('link', { name: 'Secrets' }).click();
    await page.locator('#token').waitFor();
    assert.match(String(await page.getByTestId('notice').textContent()), /session has ended/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
  } finally {
    await context.close();
  }
});

test('a password sign-in uses the mount path given, for the userpass and the LDAP choice; Copy fills the clipboard', async () => {
  // LDAP's login API is userpass's (POST auth/<mount>/login/<user> with a password), so a userpass mount
  // at another path stands in for the directory: what is checked is the path the page logs in at.
  const root = server.rootToken;
  assert.equal((await server.api('POST', 'sys/auth/corp', { type: 'userpass' }, root)).status, 204);
  await server.api(
    'POST',
    'auth/corp/users/carol',
    { password: 'carol-password-3', policies: 'alice' },
    root,
  );
  await server.api('POST', 'secret/data/alice/copy', { data: { api_key: 'copy-me-value-321' } }, root);
  const { context, page } = await newPage();
  try {
    for (const method of ['userpass', 'ldap']) {
      await page.goto('/ui/');
      await page.locator('#method').selectOption(method);
      assert.equal(await page.locator('#mount').inputValue(), method, "the method's usual mount first");
      await page.locator('#mount').fill('corp');
      await page.locator('#username').fill('carol');
      await page.locator('#password').fill('carol-password-3');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
      const token = String(await page.evaluate("sessionStorage.getItem('coffer.token')"));
      const lookup = await server.api('POST', 'auth/token/lookup', { token }, root);
      assert.equal(lookup.body.data.path, 'auth/corp/login/carol', method);
      if (method === 'ldap') break;
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#token').waitFor();
    }
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.address });
    await page.getByRole('link', { name: 'secret/' }).click();
    await page.getByRole('link', { name: 'alice/' }).click();
    await page.getByRole('link', { name: 'copy' }).click();
    await page.getByRole('button', { name: 'Copy api_key' }).click();
    assert.equal(await page.getByTestId('notice').textContent(), 'Copied api_key.');
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), 'copy-me-value-321');
    assert.equal(await page.getByTestId('value-api_key').textContent(), '••••••••', 'still masked');
  } finally {
    await context.close();
  }
});

test('the package npm packs (what an install gets) holds the server, the CLI and the UI it serves', () => {
  const root = new URL('..', import.meta.url).pathname;
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const files = new Set(
    (JSON.parse(run.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path),
  );
  const needed = [
    'bin/coffer.js',
    'dist/server/command.js',
    'dist/cli/main.js',
    'dist/http/ui.js',
    'dist/ui/main.js',
    'dist/ui/views/kv-list.js',
    'src/ui/index.html',
    'src/ui/app.css',
  ];
  assert.deepEqual(
    needed.filter((file) => !files.has(file)),
    [],
  );
});
