/** Load generation with autocannon (keep-alive, fixed connections) and the one result line format. */
import { Agent, get } from 'node:http';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: string;
  headers?: Record<string, string>;
  /**
   * The requests each connection sends in turn, built once (as the bare-http baseline's single request
   * is). Prefer this to `next`: autocannon rebuilds a request per send when `next` is given, which
   * makes the load generator, not the server, the limit.
   */
  sequence?: { path: string; method?: string; body?: string }[];
  /** Rotating request paths/bodies; each call returns the next request (rebuilt every time). */
  next?: () => { path: string; method?: string; body?: string };
  /**
   * autocannon's own request chain, for requests that depend on an earlier answer on the same
   * connection (its `onResponse` and `setupRequest` share a per-connection context).
   */
  requests?: autocannon.Request[];
  /** Called with each response's status code as it arrives (quota-admitted times the admitted ones). */
  onResponse?: (status: number) => void;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Mean latency in ms (for slow requests' rate: see closedLoopRate). */
  meanMs?: number;
  /** Responses by status code (autocannon's statusCodeStats), for workloads that expect non-2xx answers. */
  byStatus?: Record<string, number>;
}

/**
 * The rate of a closed loop (each connection sends its next request when the last is answered) by
 * Little's law: connections / mean latency. For requests of about a second (a password KDF), counting
 * completions in the window leaves out every request still in flight when it closes: at 4 connections
 * over 3 s that is a third of the work, and the 1-second buckets autocannon averages start with an
 * empty one. The kdf baseline it is compared with counts its last verifications to their end.
 */
export function closedLoopRate(result: LoadResult, connections: number): number {
  return result.meanMs ? connections / (result.meanMs / 1000) : result.rps;
}

/**
 * Percentiles of latencies in ms, exact (nearest rank). autocannon's own histogram keeps whole
 * milliseconds, floored: a 1.9 ms p99 read as 1, and a sub-millisecond one as 0.
 */
export function percentiles(latencies: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

function mean(values: number[]): number | undefined {
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : undefined;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSeconds,
        method: (spec.method ?? 'GET') as 'GET',
        headers: spec.headers,
        requests: spec.requests
          ? spec.requests
          : spec.sequence
            ? spec.sequence.map((r) => ({
                path: r.path,
                method: (r.method ?? spec.method ?? 'GET') as autocannon.Request['method'],
                body: r.body,
              }))
            : spec.next
              ? [
                  {
                    setupRequest: (req) => {
                      const next = spec.next!();
                      return {
                        ...req,
                        path: next.path,
                        method: (next.method ?? req.method) as autocannon.Request['method'],
                        body: next.body ?? req.body,
                      };
                    },
                  },
                ]
              : undefined,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    // Each response's own time, in fractional ms (see percentiles).
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      spec.onResponse?.(status);
    });
  });
  return {
    rps: result.requests.average,
    ...percentiles(latencies),
    errors: result.errors + result.timeouts + result.non2xx,
    meanMs: mean(latencies),
    byStatus: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
    ),
  };
}

/** Median of several rounds (by requests/s), as PERFORMANCE.md asks. */
export async function medianOf(
  rounds: number,
  run: () => Promise<LoadResult>,
): Promise<LoadResult & { min: number; max: number }> {
  const results: LoadResult[] = [];
  for (let i = 0; i < rounds; i++) results.push(await run());
  results.sort((a, b) => a.rps - b.rps);
  const median = results[Math.floor(results.length / 2)];
  return {
    ...median,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    min: results[0].rps,
    max: results[results.length - 1].rps,
  };
}

export function formatLine(
  name: string,
  result: LoadResult,
  baseline: { name: string; rps: number } | undefined,
  target: number | undefined,
): string {
  const rps = Math.round(result.rps).toLocaleString('en-US');
  const ratio = baseline ? ` = ${(result.rps / baseline.rps).toFixed(2)} x ${baseline.name}` : '';
  const goal = target !== undefined ? ` (target ${target.toFixed(2)})` : '';
  return `${name}: ${rps} req/s p50 ${result.p50.toFixed(1)} ms p99 ${result.p99.toFixed(1)} ms errors ${result.errors}${ratio}${goal}`;
}

/** Runs `fn` for 0..count-1 over `parallel` workers; returns how many threw. */
export async function inParallel(count: number, parallel: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        await fn(i).catch(() => failed++);
      }
    }),
  );
  return failed;
}

/**
 * A latency probe: GETs at a fixed rate over one keep-alive connection, each timed on its own. It
 * tells whether something else the server does stalls its event loop, without itself taking the
 * server's core (autocannon's own rate limit sends in bursts: its p99 at 1,000 req/s on an idle
 * server was 50-80 ms here). `paths` are requested in turn.
 */
export async function probeLatency(
  url: string,
  paths: string[],
  headers: Record<string, string>,
  rate: number,
  seconds: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  let due = started;
  try {
    for (let i = 0; performance.now() - started < seconds * 1000; i++) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      due += 1000 / rate;
      const sent = performance.now();
      const status = await new Promise<number>((resolve) => {
        get(`${url}${paths[i % paths.length]}`, { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', () => resolve(0));
      });
      if (status !== 200) errors++;
      latencies.push(performance.now() - sent);
    }
  } finally {
    agent.destroy();
  }
  return {
    rps: latencies.length / ((performance.now() - started) / 1000),
    ...percentiles(latencies),
    errors,
  };
}
