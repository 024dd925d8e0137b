/**
 * K1 (SECURITY.md): the global canary sweep. Every e2e test process registers the secrets it sees
 * (root tokens and unseal keys from init, tokens from logins and creates, passwords, secret IDs,
 * KV-v2 values, and any `CANARY-…` / `CANARY_…` string a test sends) and the places a secret must
 * never reach: each server's output, each file audit log (helpers/server.ts gives every server one
 * by default), and each error body (status ≥ 400). When the process exits it searches every place
 * for every secret, raw, base64 (standard and URL-safe, at any alignment) and hex, and fails the
 * test file on a hit: the report goes to stderr and the exit code is 1, which `node --test` shows as
 * the file's failure. `COFFER_CANARY_STATS=1` prints what each file's sweep covered.
 *
 * The sweep is per process (node --test runs each file in its own), so concurrent files share no
 * state. It runs on `exit`, after every `after` hook has stopped its servers, so shutdown output
 * counts; `removeServerDir` snapshots the audit logs in a server's directory before deleting it.
 * Audit logs legitimately hold `hmac-sha256:<hex>` digests of secrets, never the secrets: a digest
 * matches none of the forms searched. Successful responses are not searched (they answer the client
 * that asked); error bodies are.
 */
import { readFileSync, writeSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Secrets shorter than this are not searched: they would match by chance (`secret`, `pw`, `root`). */
export const MIN_CANARY_BYTES = 8;

export interface Canary {
  value: string;
  /** What the secret is, for the report (never the value itself). */
  label: string;
}

export interface CanaryHit {
  source: string;
  label: string;
  form: string;
  /** Up to 60 characters either side of the hit, the hit itself replaced by `<label>`. */
  excerpt: string;
}

/** A long secret is searched by its first 64 characters: enough to be unique, and to catch a truncated leak. */
const MAX_CANARY_CHARS = 64;
/** Every form is at least this long; the sweep looks each text position's next KEY chars up in a map. */
const KEY = 8;

/**
 * The strings that show `secret` in a text: raw (also JSON- and URL-escaped), lower and upper hex,
 * and base64 and base64url. Base64 depends on where the secret starts within the encoded bytes, so
 * each of the three alignments contributes the 4-character groups made only of the secret's bits.
 */
export function canaryForms(secret: string): { form: string; text: string }[] {
  if (Buffer.byteLength(secret) < MIN_CANARY_BYTES) return [];
  const head = secret.slice(0, MAX_CANARY_CHARS);
  const bytes = Buffer.from(head, 'utf8');
  const forms = [
    { form: 'raw', text: head },
    { form: 'raw (JSON-escaped)', text: JSON.stringify(head).slice(1, -1) },
    { form: 'raw (URL-encoded)', text: encodeURIComponent(head) },
    { form: 'hex', text: bytes.toString('hex') },
    { form: 'hex', text: bytes.toString('hex').toUpperCase() },
  ];
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    // With a shift the first group mixes in bytes before the secret; the last partial group, bytes after.
    const core = shifted.toString('base64').slice(shift === 0 ? 0 : 4, Math.floor(shifted.length / 3) * 4);
    forms.push({ form: 'base64', text: core });
    forms.push({ form: 'base64url', text: core.replaceAll('+', '-').replaceAll('/', '_') });
  }
  const seen = new Set<string>();
  return forms.filter(({ text }) => text.length >= KEY && !seen.has(text) && seen.add(text));
}

interface Needle {
  /** Which canary: a text shows each canary in each form once in the report. */
  id: number;
  text: string;
  form: string;
  label: string;
}

/** Every form of every canary, by its first KEY characters: one pass over a text finds them all. */
export class CanaryIndex {
  private readonly byKey = new Map<string, Needle[]>();

  constructor(canaries: Iterable<Canary>) {
    let id = 0;
    for (const { value, label } of canaries) {
      id++;
      for (const { form, text } of canaryForms(value)) {
        const key = text.slice(0, KEY);
        const list = this.byKey.get(key);
        if (list) list.push({ id, text, form, label });
        else this.byKey.set(key, [{ id, text, form, label }]);
      }
    }
  }

  /** The hits in `text`: one per canary and form. */
  search(text: string, source: string): CanaryHit[] {
    const hits: CanaryHit[] = [];
    if (this.byKey.size === 0) return hits;
    const found = new Set<string>();
    for (let at = 0; at + KEY <= text.length; at++) {
      const candidates = this.byKey.get(text.slice(at, at + KEY));
      if (!candidates) continue;
      for (const needle of candidates) {
        const which = `${needle.id} ${needle.form}`;
        if (found.has(which) || !text.startsWith(needle.text, at)) continue;
        found.add(which);
        const before = text.slice(Math.max(0, at - 60), at);
        const after = text.slice(at + needle.text.length, at + needle.text.length + 60);
        const excerpt = `${before}<${needle.label}>${after}`.replace(/\s+/g, ' ');
        hits.push({ source, label: needle.label, form: needle.form, excerpt });
      }
    }
    return hits;
  }
}

/** Every canary found in `text` (one hit per canary and form). */
export function findCanaries(text: string, canaries: Iterable<Canary>, source: string): CanaryHit[] {
  return new CanaryIndex(canaries).search(text, source);
}

// ---------------------------------------------------------------------------------------------
// The process-wide registry: what is secret, and where to look.

const registry = new Map<string, string>();
const outputs: { name: string; read: () => string }[] = [];
/** Audit file path → the snapshots taken of it (the file itself may be gone by exit). */
const files = new Map<string, string[]>();
const errorBodies: { name: string; text: string }[] = [];

/** Registers a secret (ignored unless a string of at least MIN_CANARY_BYTES bytes). */
export function registerCanary(value: unknown, label: string): void {
  if (typeof value !== 'string' || Buffer.byteLength(value) < MIN_CANARY_BYTES) return;
  if (value.includes('{{')) return; // a template such as `{{password}}`, not a secret
  if (!registry.has(value)) registry.set(value, label);
}

/** The registered secrets (for tests of the sweep). */
export function registeredCanaries(): Canary[] {
  return [...registry].map(([value, label]) => ({ value, label }));
}

/** Adds a process's output (read at exit, so everything up to its shutdown counts). */
export function watchOutput(name: string, read: () => string): void {
  outputs.push({ name, read });
}

/** Adds a file that must hold no secret (a file audit device's log). */
export function watchFile(path: string): void {
  if (!files.has(path)) files.set(path, []);
}

/** Adds an error body (a response with status ≥ 400). */
export function watchErrorBody(name: string, text: string): void {
  if (text) errorBodies.push({ name, text });
}

/**
 * Reads the watched files under `dir`, and every `*.log*` file there, before the directory is
 * deleted: the sweep at exit searches these snapshots.
 */
export async function snapshotLogsUnder(dir: string): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || !/\.log/.test(entry.name)) continue;
    watchFile(join(entry.parentPath, entry.name));
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const [path, snapshots] of files) {
    if (!path.startsWith(prefix)) continue;
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined && !snapshots.includes(text)) snapshots.push(text);
  }
}

// What a request or response carries that is a secret, by field name.
const SECRET_FIELDS = new Set([
  'password',
  'bindpass',
  'client_tls_key',
  'secret_id',
  'client_token',
  'root_token',
  'token',
  'jwt',
  'token_reviewer_jwt',
  'client_secret',
  'oidc_client_secret',
  'private_key',
  'otp',
  'encoded_token',
  'encoded_root_token',
]);
/** Fields that are secrets only on some paths (elsewhere `keys` is a LIST answer, `id` a name). */
const PATH_FIELDS: [RegExp, Set<string>][] = [
  [/^sys\/init$/, new Set(['keys', 'keys_base64', 'recovery_keys', 'recovery_keys_base64'])],
  [/^sys\/(unseal|rekey\/update|generate-root\/update)$/, new Set(['key'])],
  [/^auth\/token\/create/, new Set(['id'])],
];
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:([^@\s]+)@|^[^:@/\s]+:([^@\s]+)@tcp\(/i;
const MARKED = /CANARY[-_][A-Za-z0-9_-]{4,}/g;

/** How deep the walks below go: a test may send a body nested thousands deep (F2). */
const MAX_DEPTH = 32;

function leaves(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value);
  else if (depth >= MAX_DEPTH || !value || typeof value !== 'object') return out;
  else for (const item of Object.values(value)) leaves(item, out, depth + 1);
  return out;
}

function registerFields(value: unknown, path: string, depth = 0): void {
  if (depth >= MAX_DEPTH || !value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) registerFields(item, path, depth + 1);
    return;
  }
  const extra = PATH_FIELDS.filter(([pattern]) => pattern.test(path)).flatMap(([, names]) => [...names]);
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_FIELDS.has(key) || extra.includes(key)) {
      for (const leaf of leaves(item)) registerCanary(leaf, `${key} (${path})`);
    } else if (key === 'connection_url' && typeof item === 'string') {
      const match = URL_PASSWORD.exec(item);
      registerCanary(match?.[1] ?? match?.[2], `connection_url password (${path})`);
    } else {
      registerFields(item, path, depth + 1);
    }
  }
}

function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * Registers the secrets of one API exchange, and keeps its body for the sweep if it is an error.
 * `path` is the API path without `/v1/`, with or without a query string.
 */
export function noteExchange(exchange: {
  method: string;
  path: string;
  token?: string;
  headers?: Record<string, string>;
  requestBody?: unknown;
  status: number;
  responseBody?: unknown;
  responseText: string;
}): void {
  const path = exchange.path.replace(/^\/+/, '').split('?')[0];
  registerCanary(exchange.token, `token sent to ${path}`);
  for (const [name, value] of Object.entries(exchange.headers ?? {})) {
    if (/^(x-vault-token|authorization)$/i.test(name)) registerCanary(value.replace(/^Bearer /i, ''), name);
  }
  const raw =
    typeof exchange.requestBody === 'string' ? exchange.requestBody : JSON.stringify(exchange.requestBody);
  for (const marked of `${exchange.path} ${raw ?? ''}`.matchAll(MARKED))
    registerCanary(marked[0], 'CANARY value');
  const request = parsedBody(exchange.requestBody);
  registerFields(request, path);
  // KV-v2 data: every value written to, or read from, `<mount>/data/<path>`.
  if (/(^|\/)data\//.test(path)) {
    const written = (request as { data?: unknown } | undefined)?.data;
    if (written && typeof written === 'object') {
      for (const leaf of leaves(written)) registerCanary(leaf, `KV value (${path})`);
    }
    const read = (exchange.responseBody as { data?: { data?: unknown } } | undefined)?.data?.data;
    for (const leaf of leaves(read)) registerCanary(leaf, `KV value (${path})`);
  }
  if (exchange.status < 400) {
    registerFields(exchange.responseBody, path);
    const options = (request as { options?: { file_path?: unknown } } | undefined)?.options;
    if (/^sys\/audit\/[^/]+$/.test(path) && typeof options?.file_path === 'string') {
      if (options.file_path !== 'stdout' && options.file_path !== 'discard') watchFile(options.file_path);
    }
  } else {
    watchErrorBody(`${exchange.method} ${path} → ${exchange.status}`, exchange.responseText);
  }
}

/** Searches every watched place for every registered secret. */
export function sweep(): CanaryHit[] {
  if (registry.size === 0) return [];
  const index = new CanaryIndex(registeredCanaries());
  const hits: CanaryHit[] = [];
  for (const { name, read } of outputs) hits.push(...index.search(read(), `output of ${name}`));
  for (const [path, snapshots] of files) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined; // deleted with its server's directory: the snapshots stand for it
    }
    const texts = current === undefined || snapshots.includes(current) ? snapshots : [...snapshots, current];
    for (const text of texts) hits.push(...index.search(text, `audit log ${path}`));
  }
  for (const { name, text } of errorBodies) hits.push(...index.search(text, `error body of ${name}`));
  return hits;
}

/** Forgets every secret and every place (for the sweep's own tests). */
export function resetSweep(): void {
  registry.clear();
  outputs.length = 0;
  files.clear();
  errorBodies.length = 0;
}

/** The sweep's report for a list of hits. */
export function formatHits(hits: readonly CanaryHit[]): string {
  const lines = hits.slice(0, 50).map((h) => `  - ${h.label}, ${h.form}, in ${h.source}: …${h.excerpt}…`);
  if (hits.length > 50) lines.push(`  … and ${hits.length - 50} more`);
  return `K1 canary sweep: ${hits.length} secret(s) found where none may be:\n${lines.join('\n')}\n`;
}

process.on('exit', () => {
  const started = performance.now();
  const hits = sweep();
  if (process.env.COFFER_CANARY_STATS) {
    const bytes = [...files.values()].flat().reduce((n, t) => n + t.length, 0);
    writeSync(
      2,
      `K1 canary sweep (${process.argv[1]}): ${registry.size} secrets; ${outputs.length} outputs, ` +
        `${files.size} audit logs (${bytes} B in snapshots), ${errorBodies.length} error bodies; ` +
        `${hits.length} hits in ${Math.round(performance.now() - started)} ms\n`,
    );
  }
  if (hits.length === 0) return;
  writeSync(2, formatHits(hits));
  process.exitCode = 1;
});
