/**
 * `quota-admitted`: SECURITY.md's F5 asks that a rate-limit quota admit its configured rate, within
 * 10%. A quota of QUOTA_RATE requests a second on the kv2-read mount, then kv2-read's 64 connections
 * at full speed; every answer not admitted must be a 429.
 *
 * Vault's limiter (and Coffer's) counts in fixed windows from a client's first request, so a client
 * at full speed gets each window's whole allowance in a burst at its start and nothing after. Dividing
 * the 200s by the measurement's length is off by up to a window at each end (run Y: 1.199 × over a
 * 10 s window that a loaded load generator stretched past 11 window starts). So the admitted rate is
 * taken from the bursts themselves: the 200s of the complete windows (not the first or the last, which
 * the measurement cuts) over the time from the first complete window's start to the next one's.
 */
import { runLoad } from './load.js';
import type { BenchServer } from './server.js';
import type { CustomResult, CustomWorkload } from './workloads.js';
import { kvRead, ok } from './workloads.js';

/** Far below kv2-read's rate in this VM's slowest hours (~7k req/s), so the quota is what limits. */
const QUOTA_RATE = 1000;
/** A silence this long between two 200s separates two windows' bursts (a window is 1 s). */
const BURST_GAP_MS = 400;

/** The 200s' arrival times grouped into bursts, one per window. */
export function burstsOf(times: readonly number[]): { start: number; count: number }[] {
  const bursts: { start: number; count: number }[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const at of times) {
    if (at - last > BURST_GAP_MS) bursts.push({ start: at, count: 0 });
    bursts[bursts.length - 1].count++;
    last = at;
  }
  return bursts;
}

/** Admitted requests per second over the complete windows, or undefined with fewer than three bursts. */
export function steadyRate(bursts: readonly { start: number; count: number }[]): number | undefined {
  if (bursts.length < 3) return undefined;
  const complete = bursts.slice(1, -1);
  const admitted = complete.reduce((sum, b) => sum + b.count, 0);
  return admitted / ((bursts[bursts.length - 1].start - complete[0].start) / 1000);
}

async function quotaAdmitted(server: BenchServer, seconds: number): Promise<CustomResult> {
  const load = await kvRead(server, 64);
  await ok(server, 'POST', 'sys/quotas/rate-limit/bench-quota', { path: 'bench-kv2/', rate: QUOTA_RATE });
  try {
    const admittedAt: number[] = [];
    const onResponse = (status: number) => {
      if (status === 200) admittedAt.push(performance.now());
    };
    const result = await runLoad({ ...load, url: server.url, durationSeconds: seconds, onResponse });
    const by = result.byStatus ?? {};
    const other = Object.entries(by)
      .filter(([code]) => code !== '200' && code !== '429')
      .reduce((sum, [, count]) => sum + count, 0);
    const bursts = burstsOf(admittedAt);
    const rate = steadyRate(bursts);
    const complete = bursts.slice(1, -1).map((b) => b.count);
    const ratio = rate === undefined ? Number.POSITIVE_INFINITY : rate / QUOTA_RATE;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return {
      name: 'quota-admitted',
      result: { ...result, rps: rate ?? 0, errors: other },
      ratio: Math.abs(ratio - 1),
      baseline: `${QUOTA_RATE}/s quota`,
      target: 0.1,
      lowerIsBetter: true,
      line: `quota-admitted: ${fmt(rate ?? 0)} req/s admitted over ${complete.length} complete windows (${fmt(Math.min(...complete))}–${fmt(Math.max(...complete))} each) of ${fmt(result.rps)} req/s sent, ${fmt(by['429'] ?? 0)} answered 429, errors ${other} = ${ratio.toFixed(3)} x the ${QUOTA_RATE}/s quota (target within 10%)`,
      note: 'ratio = |admitted / configured rate - 1|, admitted counted per complete window; every request not admitted must be a 429',
    };
  } finally {
    await ok(server, 'DELETE', 'sys/quotas/rate-limit/bench-quota');
  }
}

export const quotaWorkload: CustomWorkload = {
  name: 'quota-admitted',
  custom: true,
  async run(server, { seconds }) {
    return [await quotaAdmitted(server, seconds)];
  },
};
