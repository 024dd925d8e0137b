/**
 * PERFORMANCE.md's second conditions, as rows of their own so the summary counts them: the audit
 * device costs at most 25% of kv2-read, a p99 within a bound in milliseconds or within a multiple of
 * its baseline's p99, the first read within a second of unseal, and the server's cold start.
 */
import type { LoadResult } from './load.js';
import type { Row } from './results.js';
import type { Workload } from './workloads.js';

/**
 * The condition rows of one standard workload's result. `baselineP99` is the p99 of the baseline it
 * was compared with (measured beside it, or at the start of the run).
 */
export function conditionRows(
  workload: Workload,
  result: LoadResult,
  rows: readonly Row[],
  baselineP99?: number,
): Row[] {
  const conditions: Row[] = [];
  const plain = rows.find((row) => row.name === 'kv2-read');
  if (workload.name === 'kv2-read-audit' && plain)
    conditions.push({
      name: 'kv2-read-audit-cost',
      ...result,
      ratio: 1 - result.rps / plain.rps,
      baseline: 'kv2-read',
      baselineRps: plain.rps,
      target: 0.25,
      lowerIsBetter: true,
      note: 'ratio = the share of kv2-read throughput lost to the audit device',
    });
  if (workload.p99TargetMs)
    conditions.push({
      name: `${workload.name}-p99`,
      ...result,
      ratio: result.p99 / workload.p99TargetMs,
      baseline: `${workload.p99TargetMs} ms`,
      target: 1,
      lowerIsBetter: true,
      note: 'ratio = p99 / its bound',
    });
  if (workload.p99VsBaseline && baselineP99 && baselineP99 > 0)
    conditions.push({
      name: `${workload.name}-p99`,
      ...result,
      ratio: result.p99 / baselineP99,
      baseline: `${workload.baseline} p99`,
      target: workload.p99VsBaseline,
      lowerIsBetter: true,
      note: `ratio = p99 / ${workload.baseline}'s p99 (${baselineP99.toFixed(2)} ms) at the same connections`,
    });
  return conditions;
}

/** A time that must stay under a bound (`cold-start` < 1 s, the first read after unseal <= 1 s). */
export function timeBoundRow(name: string, ms: number, boundMs: number, note: string): Row {
  return {
    name,
    rps: 0,
    p50: ms,
    p99: ms,
    errors: 0,
    ratio: ms / boundMs,
    baseline: `${boundMs} ms`,
    target: 1,
    lowerIsBetter: true,
    note,
  };
}
