/** KV helpers: the mount/version preflight, the `data/`-`metadata/` path rewrite and kv's section headers. */
import { ApiError } from '../../client/errors.js';
import { isRecord, type Secret } from '../../client/secret.js';
import { type Context, sanitizePath } from '../command.js';
import type { FlagDef } from '../flags.js';

export const mountFlag: FlagDef = {
  name: 'mount',
  kind: 'string',
  usage: 'Mount path, with PATH relative to it.',
};

export interface KvTarget {
  /** Path as the API sees it, e.g. `secret/data/app` on a v2 mount. */
  fullPath: string;
  v2: boolean;
}

/**
 * `GET sys/internal/ui/mounts/<path>`: where the mount is and whether it is KV v2. Never wrapped; a 404
 * means an old server and so v1. Errors (a 403 above all) are fatal, as in vault.
 */
async function preflight(ctx: Context, path: string): Promise<{ mountPath: string; v2: boolean }> {
  try {
    const res = await ctx.client().request({
      method: 'GET',
      path: `sys/internal/ui/mounts/${path}`,
      wrapTtl: null,
      sendInCurlMode: true,
    });
    const data = isRecord(res.body) && isRecord(res.body.data) ? res.body.data : {};
    const version = isRecord(data.options) ? data.options.version : undefined;
    return { mountPath: typeof data.path === 'string' ? data.path : '', v2: version === '2' };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { mountPath: '', v2: false };
    throw error;
  }
}

/** Go's `path.Join`: slash-joined, empty parts dropped, no trailing slash. */
function join(...parts: string[]): string {
  return parts
    .join('/')
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** Inserts the API prefix (`data`, `metadata`, `delete`, …) after the mount path. */
export function addPrefix(path: string, mountPath: string, prefix: string): string {
  if (path === mountPath || path === mountPath.replace(/\/$/, '')) return join(mountPath, prefix);
  const suffix = path.startsWith(mountPath) ? path.slice(mountPath.length) : path;
  return join(mountPath, prefix, suffix);
}

/** Resolves `secret/app` (or `-mount=secret app`) to the API path for `prefix` on a v2 mount. */
export async function kvTarget(ctx: Context, arg: string, prefix: string): Promise<KvTarget> {
  // Every kv command takes its path as vault's do: trimmed of whitespace and of slashes at either end.
  let partial = sanitizePath(arg);
  const mountFlag = sanitizePath(ctx.flags.string('mount'));
  const { mountPath, v2 } = await preflight(ctx, mountFlag || partial);
  if (mountFlag) partial = join(v2 ? mountPath : mountFlag, partial);
  return { fullPath: v2 ? addPrefix(partial, mountPath, prefix) : partial, v2 };
}

/** The target, or undefined once the preflight's error is printed bare, as vault does (the caller exits 2). */
export async function resolveTarget(
  ctx: Context,
  arg: string,
  prefix: string,
): Promise<KvTarget | undefined> {
  try {
    return await kvTarget(ctx, arg, prefix);
  } catch (error) {
    ctx.ui.error((error as Error).message);
    return undefined;
  }
}

/**
 * The API path of a command that exists only on KV v2, or the exit code once the reason is printed:
 * vault words the v1 refusal and picks its exit code per command.
 */
export async function v2Path(
  ctx: Context,
  arg: string,
  prefix: string,
  v1Refusal: { message: string; code: number },
): Promise<string | number> {
  const t = await resolveTarget(ctx, arg, prefix);
  if (!t) return 2;
  if (t.v2) return t.fullPath;
  ctx.ui.error(v1Refusal.message);
  return v1Refusal.code;
}

/** `== Title ==` centred over `width` columns, at least two signs a side. */
export function padEqualSigns(title: string, width: number): string {
  let signs = width - (title.length + 2);
  if (signs <= 0) signs = 4;
  if (signs % 2 !== 0) signs += 1;
  const side = '='.repeat(signs / 2);
  return `${side} ${title} ${side}`;
}

/** Header sized to a Key/Value table of `data` (longest key + 4 spaces + "Value"). */
export function headerForMap(title: string, data: Record<string, unknown>): string {
  const longest = Math.max(0, ...Object.keys(data).map((k) => k.length));
  return padEqualSigns(title, longest + 9);
}

export function printPath(ctx: Context, path: string, title: string): void {
  ctx.ui.output(padEqualSigns(title, path.length));
  ctx.ui.output(path);
  ctx.ui.output('');
}

/** One version of a KV v2 key as `kv patch` and `kv rollback` read it before they write. */
export interface VersionRead {
  metadata: Record<string, unknown>;
  data: unknown;
}

/**
 * The pre-read of `kv patch` and `kv rollback` (`version`: a given one, else the latest): a version
 * with a metadata block, or the exit code once vault's reason is printed.
 */
export async function kvPreRead(
  ctx: Context,
  path: string,
  verb: 'patch' | 'rollback',
  options: { version?: number; sendInCurlMode?: boolean } = {},
): Promise<VersionRead | number> {
  let secret: Secret | undefined;
  try {
    const query = options.version ? { version: String(options.version) } : undefined;
    secret = await ctx.client().read(path, query, { sendInCurlMode: options.sendInCurlMode });
  } catch (error) {
    return ctx.fail(`Error doing pre-read at ${path}`, error);
  }
  const fail = (message: string) => {
    ctx.ui.error(message);
    return 2;
  };
  // A deleted version still answers (404) with its metadata: the Go client keeps such a body.
  if (!secret?.data) return fail(`No value found at ${path}`);
  const { metadata, data } = secret.data;
  if (metadata === undefined || metadata === null)
    return fail(`No metadata found at ${path}; ${verb} only works on existing data`);
  if (!isRecord(metadata)) return fail(`Metadata found at ${path} is not the expected type (JSON object)`);
  return { metadata, data };
}

/** Why a version's data cannot be patched or rolled back to, or undefined when it is a JSON object. */
export function dataRefusal(path: string, data: unknown, verb: 'patch' | 'rollback'): string | undefined {
  if (data === undefined || data === null)
    return `No data found at ${path}; ${verb} only works on existing data`;
  if (!isRecord(data)) return `Data found at ${path} is not the expected type (JSON object)`;
  return undefined;
}
