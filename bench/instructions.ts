/**
 * Instructions per request of the core, counted by valgrind's callgrind: for A/B comparisons that
 * this VM's drift cannot blur (on one build and one minute apart, server CPU time per kv2-write read
 * 135 and 500 us). Each workload (bench/in-process.ts: the request pipeline, memory storage, no HTTP)
 * runs at two counts, and the difference divided by the difference in count leaves out start-up and
 * seeding. On a quiet machine, two passes of each of two builds at the default 8,000 and 16,000 ops
 * agreed to 0.5% and 2.3% (kv2-write 276,030 and 277,452; 262,426 and 256,417). Passes taken while
 * other valgrind processes ran read the same builds 3% lower to 12% higher, so the run warns when the
 * machine is busy before it starts.
 * Instructions are not time: cache misses and the kernel (HTTP, fsync) are not in
 * them. This compares builds; the targets are measured by `npm run bench`. Usage:
 *   node --import tsx bench/instructions.ts [--only kv2-write,token-create] [--dists a/dist,dist] [--ops 8000]
 * A build's dist/ must resolve the project's packages: in a worktree, or a copy beside a node_modules link.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const WORKLOADS = ['kv2-write', 'token-create', 'approle-login', 'kv2-read'];

/** The total valgrind prints at exit (`==123== Collected : 9466508122`). */
export function collectedInstructions(stderr: string): number {
  const match = /Collected : (\d+)/.exec(stderr);
  if (!match) throw new Error(`callgrind printed no total:\n${stderr.slice(-2000)}`);
  return Number(match[1]);
}

/** A warning when the machine is already busy: counts taken beside other work were off by up to 12%. */
export function busyWarning(load: number): string | undefined {
  if (load < 0.7) return undefined;
  return `warning: load average ${load.toFixed(2)} before start; counts taken on a busy machine were off by up to 12% and do not compare with quiet ones`;
}

/** Instructions per op between two runs of one workload that differ only in how many ops they made. */
export function perOp(small: { ops: number; total: number }, large: { ops: number; total: number }): number {
  if (large.ops <= small.ops) throw new Error('the second run must make more ops than the first');
  return (large.total - small.total) / (large.ops - small.ops);
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** One in-process run under callgrind; resolves with its instruction total. */
function countInstructions(workload: string, ops: number, dist: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        // Single-threaded and without concurrent compilation, so a run repeats itself to 10-20 million
        // instructions. (V8's --predictable-gc-schedule was tried too: with it, token-create read 29%
        // more for a build that ran no slower by the clock.)
        '--predictable',
        '--import',
        'tsx',
        'bench/in-process.ts',
        workload,
        String(ops),
        dist,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) =>
      reject(new Error(`could not run valgrind (Debian package valgrind): ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code !== 0)
        reject(new Error(`${workload} on ${dist} exited with ${code}:\n${stderr.slice(-2000)}`));
      else {
        try {
          resolve(collectedInstructions(stderr));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

async function main() {
  const names = (option('only') ?? WORKLOADS.join(',')).split(',');
  const unknown = names.filter((name) => !WORKLOADS.includes(name));
  if (unknown.length)
    throw new Error(`unknown workload ${unknown.join(', ')}; known: ${WORKLOADS.join(', ')}`);
  const dists = (option('dists') ?? 'dist').split(',');
  const ops = Number(option('ops') ?? 8000);
  const warning = busyWarning(loadavg()[0]);
  if (warning) console.log(warning);
  for (const name of names) {
    for (const dist of dists) {
      // Two at a time: the machine has two cores, and instruction counts do not mind sharing them.
      const [small, large] = await Promise.all([
        countInstructions(name, ops, dist),
        countInstructions(name, 2 * ops, dist),
      ]);
      const each = perOp({ ops, total: small }, { ops: 2 * ops, total: large });
      console.log(`${name}: ${Math.round(each).toLocaleString('en-US')} instructions/op  [${dist}]`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
