/** Load generation with autocannon (keep-alive, fixed connections) and the one result line format. */
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
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    method: (spec.method ?? 'GET') as 'GET',
    headers: spec.headers,
    requests: spec.sequence
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
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
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
