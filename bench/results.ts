/** Benchmark results as JSON under bench/results/, with machine facts, and comparison with an earlier run. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

export interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  ratio?: number;
  baseline?: string;
  /** The baseline's rate this ratio used (bare-http workloads: measured beside them). */
  baselineRps?: number;
  target?: number;
  /** The ratio is a cost (a p99 against idle, memory against a limit): met at or below its target. */
  lowerIsBetter?: boolean;
  note?: string;
}

/** Whether a row with a target met it; undefined for rows without one (baselines). */
export function met(row: Row): boolean | undefined {
  if (row.ratio === undefined || row.target === undefined) return undefined;
  return row.lowerIsBetter ? row.ratio <= row.target : row.ratio >= row.target;
}

/** The run on one screen: each workload's ratio against its target, and whether it was met. */
export function summaryTable(rows: Row[]): string {
  const lines = ['workload                        ratio    target   ', '-'.repeat(52)];
  let count = 0;
  let hits = 0;
  for (const row of rows) {
    const ok = met(row);
    if (ok === undefined) continue;
    count++;
    if (ok && row.errors === 0) hits++;
    const verdict = row.errors > 0 ? 'FAILED (errors)' : ok ? 'met' : 'missed';
    const bound = `${row.lowerIsBetter ? '<=' : '>='} ${row.target!.toFixed(2)}`;
    lines.push(`${row.name.padEnd(31)} ${row.ratio!.toFixed(3).padStart(6)}   ${bound.padEnd(8)} ${verdict}`);
  }
  lines.push(`${hits} of ${count} targets met`);
  return lines.join('\n');
}

/**
 * The run's wall time against issue 9's bounds: a default run under ten minutes, --quick under three.
 * A subset (--only) has no bound.
 */
export function runTimeLine(seconds: number, run: { quick: boolean; only?: string[] }): string {
  const total = Math.round(seconds);
  const time = `${Math.floor(total / 60)} min ${total % 60} s`;
  if (run.only) return `run took ${time} (a subset: no time bound)`;
  const bound = run.quick ? 180 : 600;
  return seconds < bound
    ? `run took ${time} (bound: under ${bound / 60} min)`
    : `run took ${time}: OVER its ${bound / 60}-minute bound`;
}

const DIR = new URL('./results/', import.meta.url).pathname;

export async function saveResults(rows: Row[], run: Record<string, unknown>): Promise<string> {
  await mkdir(DIR, { recursive: true });
  const file = join(DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
  await writeFile(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, run, rows }, null, 2)}\n`,
  );
  return file;
}

export async function compareWith(file: string, rows: Row[]): Promise<string> {
  const previous = JSON.parse(await readFile(file, 'utf8')) as { rows: Row[] };
  const lines = ['workload                 ratio then → now   change'];
  for (const row of rows) {
    const before = previous.rows.find((r) => r.name === row.name);
    if (row.ratio === undefined || before?.ratio === undefined) continue;
    const change = ((row.ratio - before.ratio) / before.ratio) * 100;
    lines.push(
      `${row.name.padEnd(24)} ${before.ratio.toFixed(2)} → ${row.ratio.toFixed(2)}   ${change >= 0 ? '+' : ''}${change.toFixed(1)}%`,
    );
  }
  return lines.join('\n');
}
