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
  note?: string;
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
