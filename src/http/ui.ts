/**
 * The web UI at `/ui` (Vault's `ui = true`): a fixed set of files read once at start-up and served by
 * exact name from memory, so no request path ever reaches the file system. The scripts are main.js and
 * the modules it imports, directly or not: `npm run build` does not empty dist/ui, so a module whose
 * source was deleted may still lie there, and it is not served.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Asset {
  body: Buffer;
  contentType: string;
}

export interface UiAssets {
  /** Asset names as requested below `/ui/`: `index.html`, `app.css`, `main.js`, `views/kv-list.js`. */
  readonly files: ReadonlyMap<string, Asset>;
  readonly index: Asset;
}

export interface UiDirectories {
  /** index.html and app.css, kept as written (src/ui/). */
  pages: string;
  /** The compiled modules (dist/ui/). */
  scripts: string;
}

/** The UI's own files where both `src/http/ui.ts` (tsx) and `dist/http/ui.js` find them. */
export function defaultUiDirectories(): UiDirectories {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return { pages: join(root, 'src/ui'), scripts: join(root, 'dist/ui') };
}

// A strict policy: the UI has no inline script or style and loads nothing from elsewhere.
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Only plain lower-case names with a known type are ever served. */
const ASSET_NAME = /^[a-z0-9-]+(\/[a-z0-9-]+)*\.(html|css|js)$/;

function contentTypeOf(name: string): string | undefined {
  return TYPES[name.slice(name.lastIndexOf('.'))];
}

// The module specifiers of a compiled script: static `import … from '…'`, `export … from '…'` and
// `import '…'` at the start of a line (as tsc writes them, so never inside a comment), and `import('…')`.
const STATIC_IMPORT = /^[ \t]*(?:(?:import|export)\s[^'";]*?\bfrom\s*|import\s*)['"]([^'"\n]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

function importedNames(name: string, source: string): string[] {
  const names: string[] = [];
  for (const pattern of [STATIC_IMPORT, DYNAMIC_IMPORT]) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1];
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const resolved = posix.normalize(posix.join(posix.dirname(name), specifier));
      if (!ASSET_NAME.test(resolved) || !resolved.endsWith('.js')) {
        throw new Error(`ui = true but ${name} imports ${specifier}, which the UI cannot serve`);
      }
      names.push(resolved);
    }
  }
  return names;
}

/** Reads the UI once; fails (and so stops the server) when `ui = true` and the files are missing. */
export async function loadUiAssets(dirs: UiDirectories): Promise<UiAssets> {
  const files = new Map<string, Asset>();
  const add = async (name: string, path: string) => {
    const body = await readFile(path);
    files.set(name, { body, contentType: contentTypeOf(name)! });
    return body;
  };
  await add('index.html', join(dirs.pages, 'index.html'));
  await add('app.css', join(dirs.pages, 'app.css'));
  // main.js and what it reaches, breadth first; each module is read once.
  const pending = ['main.js'];
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (files.has(name)) continue;
    let body: Buffer;
    try {
      body = await add(name, join(dirs.scripts, name));
    } catch {
      if (name === 'main.js') {
        throw new Error(
          `ui = true but the UI is not built (no ${join(dirs.scripts, name)}): run npm run build`,
        );
      }
      throw new Error(`ui = true but ${join(dirs.scripts, name)} is missing: run npm run build`);
    }
    pending.push(...importedNames(name, body.toString('utf8')));
  }
  return { files, index: files.get('index.html')! };
}

/**
 * Serves `/`, `/ui` and `/ui/…`; returns false for any other path (the API's). As Vault does, `/`
 * redirects to `/ui/` and an unknown name below `/ui/` gets index.html (the UI routes in the page).
 */
export function serveUi(assets: UiAssets, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/' || path === '/ui') {
    res.writeHead(307, {
      ...SECURITY_HEADERS,
      Location: '/ui/',
      'Content-Length': 0,
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  }
  if (!path.startsWith('/ui/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Length': 0 });
    res.end();
    return true;
  }
  const name = path.slice(4);
  if (looksLikeTraversal(name)) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Length': 0 });
    res.end();
    return true;
  }
  const asset = (ASSET_NAME.test(name) && assets.files.get(name)) || assets.index;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.byteLength,
    // The page is never kept: a browser's back button after sign-out must not show an old copy.
    'Cache-Control': asset === assets.index ? 'no-store' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}

/** `..`, a backslash or a control character, raw or percent-encoded (once or twice): refused outright. */
function looksLikeTraversal(name: string): boolean {
  let text = name;
  for (let i = 0; i < 3 && text.includes('%'); i++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return true;
    }
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return /\\|[\u0000-\u001f\u007f]/.test(text) || text.split('/').some((s) => s === '..' || s === '.');
}
