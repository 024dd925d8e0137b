/** KV helpers: the mount/version preflight, the `data/`-`metadata/` path rewrite and kv's section headers. */
import { ApiError } from '../../client/errors.js';
import { isRecord } from '../../client/secret.js';
import type { Context } from '../command.js';
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
  let partial = arg.replace(/^\/+/, '');
  const mountFlag = ctx.flags.string('mount').replace(/^\/+|\/+$/g, '');
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
