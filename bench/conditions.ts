/**
 * PERFORMANCE.md's second conditions, as rows of their own so the summary counts them: the audit
 * device costs at most 25% of kv2-read, a p99 within a bound in milliseconds or within a multiple of
 * its baseline's p99, the first read within a second of unseal, and the server's cold start.
 */
import type { LoadResult } from './load.js';
import type { Row } from './results.js';
import type { Workload } from './workloads.js';

/** A workload's rounds against its `without` rounds: the median rate of these, and the median of each pair's ratio. */
export interface PairedShare {
  rps: number;
  ratio: number;
  /** Each pair's ratio, in round order. */
  ratios: number[];
}

/**
 * Each pair's ratio is taken within its own few seconds, and the median of those: this machine's
 * speed moves by a third within a minute, so a ratio of two medians could pair a fast round with a
 * slow one.
 */
export function pairedShare(pairs: readonly { rps: number; withoutRps: number }[]): PairedShare {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const ratios = pairs.map((p) => p.rps / p.withoutRps);
  return { rps: median(pairs.map((p) => p.withoutRps)), ratio: median(ratios), ratios };
}

/**
 * The condition rows of one standard workload's result. `baselineP99` is the p99 of the baseline it
 * was compared with (measured beside it, or at the start of the run); `without`, how the workload's
 * rounds compared with its `without` rounds (kv2-read-audit with its device disabled) run beside them.
 */
export function conditionRows(
  workload: Workload,
  result: LoadResult,
  rows: readonly Row[],
  baselineP99?: number,
  without?: PairedShare,
): Row[] {
  const conditions: Row[] = [];
  // Preferably against kv2-read in the same minutes; --quick has no room for it.
  const plain = rows.find((row) => row.name === 'kv2-read');
  if (workload.name === 'kv2-read-audit' && (without || plain))
    conditions.push({
      name: 'kv2-read-audit-cost',
      ...result,
      ratio: without ? 1 - without.ratio : 1 - result.rps / plain!.rps,
      baseline: without ? 'kv2-read, same minutes' : 'kv2-read',
      baselineRps: without ? without.rps : plain!.rps,
      target: 0.25,
      lowerIsBetter: true,
      note: without
        ? 'ratio = the share of throughput lost to the audit device: the median over rounds of 1 - audited / the same load with the device disabled just before'
        : 'ratio = the share of kv2-read throughput lost to the audit device',
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
