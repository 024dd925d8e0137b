/**
 * Server CPU time per request, for A/B comparisons of builds on a shared, noisy machine: throughput
 * moves with whatever else runs, CPU per request much less. Each build runs its own server; rounds
 * alternate between them, each build going first in turn (bench/round-order.ts). Usage:
 *   node --import tsx bench/cpu.ts --only kv2-read,health [--bins a/bin/coffer.js,b/bin/coffer.js]
 *     [--rounds 7] [--seconds 1.5] [--storage sqlite] [--profile DIR] [--bin-args "a|b"]
 *     [--node-bins "a/bin/node|b/bin/node"]
 * `--profile DIR` runs each server under `node --cpu-prof`, for bench/profile.ts; `--node-args "..."`
 * passes other flags to the server (e.g. `--perf-basic-prof` for Linux perf), `--bin-args "a|b"` flags
 * to each build's server in turn (`--bins` may name one build twice), `--node-bins` the Node.js
 * executable each build's server runs on (empty for this one; the load generator stays on this one).
 */
import { readFileSync } from 'node:fs';
import { flagsPerBuild, nodePerBuild } from './build-flags.js';
import { runLoad } from './load.js';
import { roundOrder } from './round-order.js';
import { type BenchServer, ensurePinned, startBenchServer } from './server.js';
import { WORKLOADS, type Workload } from './workloads.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** utime and stime of a process in microseconds, and its minor page faults (Linux). */
function cpuMicros(pid: number): { user: number; system: number; faults: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    user: Number(fields[11]) * 10_000,
    system: Number(fields[12]) * 10_000,
    faults: Number(fields[7]),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One server per build, each with the shared flags and its own (`--bin-args`, flagsPerBuild). */
async function startServers(bins: (string | undefined)[], storage: string, nodeArgs: string[]) {
  const perBuild = flagsPerBuild(option('bin-args'), bins.length);
  const nodes = nodePerBuild(option('node-bins'), bins.length);
  const servers: { bin: string; server: BenchServer }[] = [];
  for (const [i, bin] of bins.entries()) {
    const own = perBuild[i];
    const node = nodes[i];
    const label = [...(node ? [node] : []), bin ?? 'bin/coffer.js', ...own].join(' ');
    try {
      servers.push({
        bin: label,
        server: await startBenchServer(storage, { bin, node, nodeArgs: [...nodeArgs, ...own] }),
      });
    } catch (error) {
      // The builds started before this one would otherwise run on after this process exits.
      for (const { server } of servers) await server.stop();
      throw error;
    }
  }
  return servers;
}

async function main() {
  if (ensurePinned()) return;
  const names = (option('only') ?? 'health,kv2-read').split(',');
  const bins = option('bins')?.split(',') ?? [undefined];
  const rounds = Number(option('rounds') ?? 7);
  const seconds = Number(option('seconds') ?? 1.5);
  const storage = option('storage') ?? 'sqlite';
  const profileDir = option('profile');
  const nodeArgs = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(option('node-args')?.split(' ').filter(Boolean) ?? []),
  ];
  const servers = await startServers(bins, storage, nodeArgs);
  try {
    for (const workload of WORKLOADS.filter(
      (w): w is Workload => !('custom' in w) && names.includes(w.name),
    )) {
      const specs = [];
      for (const { server } of servers) specs.push(await workload.prepare(server));
      const samples = servers.map(() => ({
        us: [] as number[],
        sys: [] as number[],
        rps: [] as number[],
        p99: [] as number[],
        faults: [] as number[],
      }));
      for (let round = 0; round < rounds; round++) {
        for (const i of roundOrder(round, servers.length)) {
          const { server } = servers[i];
          const spec = specs[i];
          if (!spec) continue;
          const before = cpuMicros(server.child.pid!);
          const result = await runLoad({ ...spec, url: server.url, durationSeconds: seconds });
          const total = result.rps * seconds;
          const after = cpuMicros(server.child.pid!);
          samples[i].us.push((after.user + after.system - before.user - before.system) / total);
          samples[i].sys.push((after.system - before.system) / total);
          samples[i].rps.push(result.rps);
          samples[i].p99.push(result.p99);
          samples[i].faults.push((after.faults - before.faults) / total);
        }
      }
      for (let i = 0; i < servers.length; i++) {
        const { us, sys, rps, p99, faults } = samples[i];
        if (!us.length) continue;
        console.log(
          `${workload.name}: ${median(us).toFixed(1)} us CPU/req (min ${Math.min(...us).toFixed(1)}, kernel ${median(sys).toFixed(1)}), ${Math.round(median(rps)).toLocaleString('en-US')} req/s, p99 ${median(p99).toFixed(2)} ms, ${median(faults).toFixed(2)} page faults/req  [${servers[i].bin}]`,
        );
      }
      // What the workload made outside the servers (Redis users, above all) goes with it, as in run.ts.
      for (const { server } of servers) await workload.teardown?.(server);
    }
  } finally {
    for (const { server } of servers) await server.stop();
  }
}

await main();
