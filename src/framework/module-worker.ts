/**
 * Starts a worker thread on a module that sits beside the caller's: `.js` when built, `.ts` when run
 * from source (tests, the benchmark), where the worker registers tsx itself: Node 20 does not apply
 * `--import` hooks to a worker's entry.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `callerUrl` is the caller's `import.meta.url`; `name` the worker module's name without extension. */
export function startModuleWorker(callerUrl: string, name: string): Worker {
  const fromSource = extname(fileURLToPath(callerUrl)) === '.ts';
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (!fromSource) return new Worker(url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(entry, { eval: true });
}
