/**
 * HCL parsing through HashiCorp's own HCL implementation (compiled to WebAssembly by @cdktf/hcl2json),
 * shared by the server configuration and ACL policies. Blocks come back as
 * `{ block: { label: [ { ...attributes } ] } }`.
 *
 * The parser runs in a worker thread that exits after a few idle seconds. Loaded in the server's own
 * thread, the Go runtime inside it measured 66 MB of resident memory that is never given back, while
 * the server only parses at start-up and when a policy is written.
 */

import v8 from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { CofferError, invalid } from '../core/errors.js';
import { startModuleWorker } from '../framework/module-worker.js';
import type { HclReply, HclRequest } from './hcl-worker.js';

const IDLE_MS = 10_000;

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();
let idleTimer: NodeJS.Timeout | undefined;

function failAll(error: Error): void {
  for (const { reject } of pending.values()) reject(error);
  pending.clear();
}

/**
 * Liftoff only: V8's baseline WebAssembly compiler, without the background TurboFan recompilation of
 * the parser's hot functions. For a parser that runs at start-up and when a policy is written, tiering
 * up only cost time: the first parse took 486 ms on one core by default and 215 ms with Liftoff alone,
 * and that parse is on the way to the server's first request. The flag is process-wide; the server runs
 * no other WebAssembly on a hot path.
 */
let compilerChosen = false;
function useBaselineWasmCompiler(): void {
  if (compilerChosen) return;
  compilerChosen = true;
  v8.setFlagsFromString('--liftoff-only');
}

function startWorker(): Worker {
  useBaselineWasmCompiler();
  const started = startModuleWorker(import.meta.url, 'hcl-worker');
  started.on('message', (reply: HclReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(invalid(reply.message));
    if (pending.size === 0) idle(started);
  });
  const gone = () => {
    if (worker === started) worker = undefined;
    failAll(new CofferError('internal', 'the HCL parser stopped'));
  };
  started.on('error', gone);
  started.on('exit', gone);
  return started;
}

/** Lets the process exit while nothing is being parsed, and ends the worker after a quiet spell. */
function idle(current: Worker): void {
  current.unref();
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (worker === current && pending.size === 0) {
      worker = undefined;
      void current.terminate();
    }
  }, IDLE_MS);
  idleTimer.unref();
}

/**
 * Starts the parser ahead of its first use (the server's start-up, bin/coffer.js). A failure here is
 * left to the first real parse, which reports it.
 */
export function startHclParser(): void {
  parseHcl('').catch(() => {});
}

export function parseHcl(text: string, fileName = 'input.hcl'): Promise<Record<string, unknown>> {
  worker ??= startWorker();
  const current = worker;
  current.ref();
  clearTimeout(idleTimer);
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    current.postMessage({ id, fileName, text } satisfies HclRequest);
  });
}
