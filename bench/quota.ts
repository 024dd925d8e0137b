/**
 * `quota-admitted`: SECURITY.md's F5 asks that a rate-limit quota admit its configured rate, within
 * 10%. A quota of QUOTA_RATE requests a second on the kv2-read mount, then kv2-read's 64 connections
 * at full speed: the 200s per second against the rate, the rest must all be 429s. Vault's limiter
 * (and Coffer's) counts in fixed windows from a client's first request, so a one-second warm-up first
 * spends the first window; the measured span then also catches the first moments of one more window,
 * whose whole allowance a full-speed client takes at once: up to one window's rate over the
 * measurement (10% at 10 s, though in practice the few milliseconds between the warm-up and the
 * measurement admit far less: 2.2% in a 3 s --quick run).
 */
import { runLoad } from './load.js';
import type { BenchServer } from './server.js';
import type { CustomResult, CustomWorkload } from './workloads.js';
import { kvRead, ok } from './workloads.js';

/** Far below kv2-read's rate in this VM's slowest hours (~7k req/s), so the quota is what limits. */
const QUOTA_RATE = 1000;

async function quotaAdmitted(server: BenchServer, seconds: number): Promise<CustomResult> {
  const load = await kvRead(server, 64);
  await ok(server, 'POST', 'sys/quotas/rate-limit/bench-quota', { path: 'bench-kv2/', rate: QUOTA_RATE });
  try {
    await runLoad({ ...load, url: server.url, durationSeconds: 1 });
    const result = await runLoad({ ...load, url: server.url, durationSeconds: seconds });
    const by = result.byStatus ?? {};
    const admitted = (by['200'] ?? 0) / seconds;
    const throttled = by['429'] ?? 0;
    const other = Object.entries(by)
      .filter(([code]) => code !== '200' && code !== '429')
      .reduce((sum, [, count]) => sum + count, 0);
    const deviation = Math.abs(admitted / QUOTA_RATE - 1);
    return {
      name: 'quota-admitted',
      result: { ...result, rps: admitted, errors: other },
      ratio: deviation,
      baseline: `${QUOTA_RATE}/s quota`,
      target: 0.1,
      lowerIsBetter: true,
      line: `quota-admitted: ${Math.round(admitted).toLocaleString('en-US')} req/s admitted of ${Math.round(result.rps).toLocaleString('en-US')} sent, ${throttled.toLocaleString('en-US')} answered 429, errors ${other} = ${(admitted / QUOTA_RATE).toFixed(3)} x the ${QUOTA_RATE}/s quota (target within 10%)`,
      note: 'ratio = |admitted / configured rate - 1|; every request not admitted must be a 429',
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
