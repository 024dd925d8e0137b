/**
 * The V8 heap settings the server picks for itself; an operator's own setting (a flag on the command
 * line or in NODE_OPTIONS) always wins.
 *
 * Old-generation growth: by default V8 picks a factor of up to 4x when collections are cheap, so a
 * server whose live heap is 57 MB swung between 200 and 350 MB of RSS under a read load, depending
 * only on where in the GC cycle it was sampled (bench rss-100k). Capping growth at 2x the live heap
 * (Go's GOGC=100 default) kept it at 204-255 MB over six runs, with no throughput change measured on
 * kv2-read, kv2-write@64, token-create or lookup-self: a full collection of a small live heap is cheap.
 */
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';

const HEAP_GROWING_PERCENT = 100;

/** Whether the process was started with V8 flag `name` (either spelling, or its `--no-` form). */
export function flagGiven(
  name: string,
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  const pattern = new RegExp(`^--(no-)?${name.replace(/-/g, '[-_]')}(=|$)`);
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => pattern.test(arg));
}

export function capHeapGrowth(): void {
  if (flagGiven('heap-growing-percent', process.execArgv, process.env.NODE_OPTIONS)) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * Whether young-generation collections should run on the main thread alone: when the process may use
 * one core (its CPU affinity; a container's cpuset). V8 splits a scavenge among its worker threads,
 * which on one core only take turns with the main thread while every request waits: pinned to one
 * core, a health poll's scavenges at 10 connections took 0.37-0.41 ms (medians) split up and
 * 0.21-0.26 ms on the main thread alone, and a pause is what a request at p99 waits out.
 */
export function scavengeAlone(cores: number, execArgv: readonly string[], nodeOptions: string | undefined) {
  return cores === 1 && !flagGiven('parallel-scavenge', execArgv, nodeOptions);
}

export function tuneHeap(): void {
  capHeapGrowth();
  if (scavengeAlone(availableParallelism(), process.execArgv, process.env.NODE_OPTIONS))
    v8.setFlagsFromString('--no-parallel-scavenge');
}
