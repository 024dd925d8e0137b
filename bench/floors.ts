/**
 * Floors under the write rows: the same load against bench/floor-server.ts, a node:http server that
 * does only the durable part of the request, each round beside its row's own baseline. A row whose
 * target is above its floor cannot be met by any Node HTTP server on this machine, whatever Coffer
 * does; a floor well above the target says how much room Coffer's own work has. Opt-in
 * (`--only floor-kv2-write@1,...`): not PERFORMANCE.md rows, so they carry no target of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pgCreateRole, rawFsync, startBareHttp, startPortServer } from './baselines.js';
import { credentialPairs } from './custom-workloads.js';
import { type LoadResult, runLoad } from './load.js';
import { withAdminClient } from './pg-roles.js';
import { pinPrefix } from './server.js';
import type { CustomContext, CustomResult, CustomWorkload } from './workloads.js';
import { PG_URL } from './workloads.js';

const SERVER = new URL('./floor-server.ts', import.meta.url).pathname;
/** The floor's PostgreSQL roles; whatever is left of them after a run is dropped. */
const FLOOR_ROLE_PREFIX = 'bench_floor_';

interface Floor {
  url: string;
  stop(): Promise<void>;
}

/**
 * floor-server.ts in `mode`, pinned to the server's core like Coffer's bench server. `target` (a file,
 * or a PostgreSQL URL that may hold a password) goes in its environment, not its command line, which
 * any user can list.
 */
export async function startFloor(mode: string, target: string, prefix?: string): Promise<Floor> {
  const { url, child } = await startPortServer(
    `floor (${mode})`,
    pinPrefix(0),
    ['--import', 'tsx', SERVER, mode, ...(prefix ? [prefix] : [])],
    { COFFER_FLOOR_TARGET: target },
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Round {
  result: LoadResult;
  baseline: number;
}

/**
 * `rounds` rounds, each the baseline measured just before the floor's own load; the round with the
 * median ratio is reported, with the spread of the ratios.
 */
async function measure(
  name: string,
  context: CustomContext,
  floor: Floor,
  baseline: { name: string; measure(): Promise<number> },
  load: (url: string, seconds: number) => Promise<LoadResult>,
  rowTarget: number,
  unit = 'req/s',
): Promise<CustomResult> {
  const seconds = context.seconds / context.rounds;
  // Warms the floor (its JIT, and for pg-creds its pool's connections and prepared statements).
  await load(floor.url, 1);
  const rounds: Round[] = [];
  for (let i = 0; i < context.rounds; i++) {
    const base = await baseline.measure();
    rounds.push({ baseline: base, result: await load(floor.url, seconds) });
  }
  const ratios = rounds.map((r) => r.result.rps / r.baseline).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)];
  const round = rounds.find((r) => r.result.rps / r.baseline === median)!;
  const result = { ...round.result, errors: rounds.reduce((sum, r) => sum + r.result.errors, 0) };
  const row = name.replace(/^floor-/, '');
  const rowOf = row.endsWith('s') ? `${row}'` : `${row}'s`;
  const spread = `ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`;
  return {
    name,
    result,
    ratio: median,
    baseline: `${baseline.name} (beside each round)`,
    note: `${rowOf} target ${rowTarget.toFixed(2)}; ${spread}`,
    line: `${name}: ${Math.round(result.rps).toLocaleString('en-US')} ${unit} p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms errors ${result.errors} = ${median.toFixed(2)} x ${baseline.name} (${rowOf} target ${rowTarget.toFixed(2)}; ${spread})`,
  };
}

const WRITE_BODY = JSON.stringify({ data: { value: 'w'.repeat(100) } });
const writes = (connections: number) => (url: string, durationSeconds: number) =>
  runLoad({
    url,
    connections,
    durationSeconds,
    headers: { 'Content-Type': 'application/json' },
    sequence: [{ path: '/v1/floor/write', method: 'POST', body: WRITE_BODY }],
  });

/** A floor whose server appends to a file in a directory of its own, removed afterwards. */
function fileFloor(
  name: string,
  mode: string,
  connections: number,
  baseline: { name: string; measure(): Promise<number> },
  rowTarget: number,
): CustomWorkload {
  return {
    name,
    custom: true,
    optIn: true,
    async run(_server, context) {
      const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-floor-'));
      try {
        const floor = await startFloor(mode, join(dir, 'log'));
        try {
          return [await measure(name, context, floor, baseline, writes(connections), rowTarget)];
        } finally {
          await floor.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const rawFsyncBeside = { name: 'raw-fsync', measure: async () => rawFsync(3) };

const bareHttpBeside = {
  name: 'bare-http',
  async measure() {
    const bare = await startBareHttp(pinPrefix(0));
    try {
      await runLoad({ url: bare.url, connections: 64, durationSeconds: 1 });
      return (await runLoad({ url: bare.url, connections: 64, durationSeconds: 3 })).rps;
    } finally {
      bare.child.kill();
    }
  },
};

/** Drops the roles a floor run left between an issue and its revoke when its load stopped. */
const dropFloorRoles = (url: string) =>
  withAdminClient(url, async (client) => {
    const left = await client.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles WHERE rolname LIKE '${FLOOR_ROLE_PREFIX}%'`,
    );
    for (const { rolname } of left.rows)
      await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
  });

const pgCredsFloor: CustomWorkload = {
  name: 'floor-pg-creds',
  custom: true,
  optIn: true,
  async run(_server, context) {
    const floor = await startFloor('pg-creds', PG_URL, FLOOR_ROLE_PREFIX);
    try {
      return [
        await measure(
          'floor-pg-creds',
          context,
          floor,
          { name: 'pg-create-role', measure: () => pgCreateRole(3, PG_URL) },
          (url, seconds) => credentialPairs({ url, token: '' }, seconds),
          0.8,
          'issue+revoke/s',
        ),
      ];
    } finally {
      await floor.stop();
      await dropFloorRoles(PG_URL);
    }
  },
};

export const FLOOR_WORKLOADS: CustomWorkload[] = [
  fileFloor('floor-kv2-write@1', 'fsync', 1, rawFsyncBeside, 0.5),
  fileFloor('floor-kv2-write@64', 'group-fsync', 64, bareHttpBeside, 0.18),
  pgCredsFloor,
];
