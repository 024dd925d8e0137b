import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadUiAssets, serveUi, UI_CSP, type UiAssets } from './ui.js';

let dir: string;
let server: Server;
let port: number;
let assets: UiAssets;

const MAIN_JS = [
  '/** A comment that mentions import { x } from "./stale.js" is not an import. */',
  "import { list } from './views/kv-list.js';",
  '// import "./stale.js";',
  'export { list };',
  '',
].join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-ui-'));
  await mkdir(join(dir, 'pages'));
  await mkdir(join(dir, 'scripts/views'), { recursive: true });
  await writeFile(join(dir, 'pages/index.html'), '<!doctype html><title>index</title>');
  await writeFile(join(dir, 'pages/app.css'), 'body{}');
  await writeFile(join(dir, 'scripts/main.js'), MAIN_JS);
  await writeFile(
    join(dir, 'scripts/views/kv-list.js'),
    "import { a } from '../api.js';\nexport const list = a;\n",
  );
  await writeFile(join(dir, 'scripts/api.js'), 'export const a = 1;\n');
  // Left in dist/ui by an earlier build whose source has since been deleted: imported by nothing.
  await writeFile(join(dir, 'scripts/views/removed.js'), 'export const OLD = 1;\n');
  await writeFile(join(dir, 'scripts/stale.js'), 'export const OLD = 2;\n');
  await writeFile(join(dir, 'scripts/main.js.map'), '{}');
  await writeFile(join(dir, 'secret.txt'), 'OUTSIDE-THE-UI');
  await writeFile(join(dir, 'pages/notes.txt'), 'NOT-AN-ASSET');
  assets = await loadUiAssets({ pages: join(dir, 'pages'), scripts: join(dir, 'scripts') });
  server = createServer((req, res) => {
    if (!serveUi(assets, req, res)) {
      res.writeHead(418);
      res.end('api');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A request with the path exactly as written: no client-side normalisation of `..` or escapes. */
function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('assets are served by exact name with their content type', async () => {
  const cases = [
    { path: '/ui/', type: 'text/html; charset=utf-8', body: '<!doctype html><title>index</title>' },
    { path: '/ui/index.html', type: 'text/html; charset=utf-8', body: '<!doctype html><title>index</title>' },
    { path: '/ui/app.css', type: 'text/css; charset=utf-8', body: 'body{}' },
    { path: '/ui/main.js', type: 'text/javascript; charset=utf-8', body: MAIN_JS },
    {
      path: '/ui/views/kv-list.js?v=1',
      type: 'text/javascript; charset=utf-8',
      body: "import { a } from '../api.js';\nexport const list = a;\n",
    },
    { path: '/ui/api.js', type: 'text/javascript; charset=utf-8', body: 'export const a = 1;\n' },
  ];
  for (const c of cases) {
    const res = await get(c.path);
    assert.equal(res.status, 200, c.path);
    assert.equal(res.headers['content-type'], c.type, c.path);
    assert.equal(res.body, c.body, c.path);
  }
});

test('every UI response carries the strict CSP and the anti-framing, sniffing and referrer headers', async () => {
  const requests = [
    ...['/ui/', '/ui/main.js', '/ui/app.css', '/ui/secrets/app', '/ui/../x', '/', '/ui', '/ui?x=1'],
    ...['HEAD /ui/', 'HEAD /', 'POST /ui/', 'DELETE /ui/main.js'],
  ];
  for (const path of requests) {
    const [method, target] = path.includes(' ') ? path.split(' ') : ['GET', path];
    const res = await get(target, method);
    assert.equal(res.headers['content-security-policy'], UI_CSP, path);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(res.headers['x-frame-options'], 'DENY', path);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', path);
  }
  assert.match(UI_CSP, /default-src 'none'/);
  assert.doesNotMatch(UI_CSP, /unsafe/);
  assert.equal((await get('/ui/')).headers['cache-control'], 'no-store');
  assert.equal((await get('/ui/whatever')).headers['cache-control'], 'no-store');
});

test('an unknown name below /ui/ gets index.html, so the page can route it', async () => {
  for (const path of ['/ui/secrets/kv/show/app', '/ui/secret.txt', '/ui/notes.txt', '/ui/main.js.map']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.body, '<!doctype html><title>index</title>', path);
  }
});

test('path traversal, raw or encoded, never reaches a file outside the UI', async () => {
  const attempts = [
    '/ui/../secret.txt',
    '/ui/../../secret.txt',
    '/ui/..%2fsecret.txt',
    '/ui/%2e%2e/secret.txt',
    '/ui/%2e%2e%2fsecret.txt',
    '/ui/%252e%252e%252fsecret.txt',
    '/ui/views/../../secret.txt',
    '/ui/..\\secret.txt',
    '/ui/%5c..%5csecret.txt',
    '/ui/%00main.js',
    '/ui/%zz',
    '/ui/./main.js',
  ];
  for (const path of attempts) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body, '', path);
  }
});

test('/ and /ui redirect to /ui/ as Vault does; other paths are left to the API', async () => {
  for (const path of ['/', '/ui', '/ui?x=1']) {
    const res = await get(path);
    assert.equal(res.status, 307, path);
    assert.equal(res.headers.location, '/ui/', path);
  }
  for (const path of ['/v1/sys/health', '/uix', '/favicon.ico'])
    assert.equal((await get(path)).status, 418, path);
});

test('only GET and HEAD are served; HEAD has the headers and no body', async () => {
  const head = await get('/ui/main.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(Buffer.byteLength(MAIN_JS)));
  assert.equal(head.body, '');
  const post = await get('/ui/main.js', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('a compiled module that main.js does not reach (left by an earlier build) is not served', async () => {
  assert.deepEqual([...assets.files.keys()].sort(), [
    'api.js',
    'app.css',
    'index.html',
    'main.js',
    'views/kv-list.js',
  ]);
  for (const path of ['/ui/views/removed.js', '/ui/stale.js']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.body, '<!doctype html><title>index</title>', path);
  }
});

test('a module imported but not built, or outside the UI, stops the server', async () => {
  const scripts = join(dir, 'broken');
  await mkdir(scripts);
  await writeFile(join(scripts, 'main.js'), "import { gone } from './views/gone.js';\n");
  await assert.rejects(loadUiAssets({ pages: join(dir, 'pages'), scripts }), /gone\.js is missing/);
  await writeFile(join(scripts, 'main.js'), "export { x } from '../secret.js';\n");
  await assert.rejects(loadUiAssets({ pages: join(dir, 'pages'), scripts }), /cannot serve/);
});

test('a missing build stops the server with a clear error instead of serving a blank page', async () => {
  await assert.rejects(
    loadUiAssets({ pages: join(dir, 'pages'), scripts: join(dir, 'no-such-dir') }),
    /UI is not built/,
  );
});

test('the UI source never turns data into markup or keeps anything in localStorage (K6)', async () => {
  const uiDir = new URL('../ui/', import.meta.url).pathname;
  const files = (await readdir(uiDir, { recursive: true })).filter((f) => /\.(ts|html)$/.test(f));
  assert.ok(files.includes('main.ts') && files.includes('index.html'));
  const forbidden =
    /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage\.setItem|style=|<script>/;
  for (const file of files) {
    const text = await readFile(join(uiDir, file), 'utf8');
    assert.doesNotMatch(text, forbidden, file);
  }
});
