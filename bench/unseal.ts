/**
 * `unseal-100k-leases` and `rss-100k`, run as their own process pinned to the server's core. It runs
 * the server in-process (the same `startServer` as `coffer server`), so it can see when the
 * expiration manager has indexed everything, which no endpoint tells.
 *
 * Leases: 100k real leases, registered through the expiration manager as a secrets engine's would be
 * (lease entry, the owning token's index entry and the due entry, in one transaction each), owned by
 * the root token, for `database/creds/bench`. Unseal reads the due index's names
 * (`sys/expire/due/<minute>/<expire second>-<id hash>`) into timers. TTLs fall 3–9 minutes ahead,
 * inside the 10-minute horizon, so every entry must be loaded (none fires while this runs). Prints
 * one JSON line (with the unseal key, so the caller can start a real server on the same storage for
 * `rss-100k`). Usage:
 *   node --import tsx bench/unseal.ts DIR LEASES SECRETS
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Core } from '../src/core/core.js';
import { handleRequest } from '../src/core/pipeline.js';
import { startServer } from '../src/server/server.js';
import { inParallel } from './load.js';
import { apiOf } from './server.js';

const [dir, leasesArg, secretsArg] = process.argv.slice(2);
const leases = Number(leasesArg ?? 100_000);
const secrets = Number(secretsArg ?? 100_000);

/** inParallel, refusing to go on when any write failed: a short seed would measure less than it says. */
async function bounded(count: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  const failed = await inParallel(count, parallel, fn);
  if (failed) throw new Error(`unseal bench: ${failed} of ${count} seed writes failed`);
}

async function logical(core: Core, token: string, operation: 'read' | 'update', path: string, data = {}) {
  return handleRequest(core, {
    id: 'bench',
    path,
    operation,
    data,
    token,
    clientAddr: '127.0.0.1',
    headers: {},
  });
}

const server = await startServer({
  storage: { type: 'sqlite', options: { path: join(dir, 'coffer.db') } },
  listeners: [
    { address: '127.0.0.1:0', tlsDisable: true, maxRequestBytes: 32 << 20, maxRequestDurationMs: 90_000 },
  ],
  ui: false,
  defaultLeaseTtl: 768 * 3600,
  maxLeaseTtl: 768 * 3600,
  logLevel: 'error',
});
const url = server.addresses[0];
const core = server.core;
const api = apiOf(url);

const init = await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
const key = init.body.keys[0] as string;
const root = init.body.root_token as string;
await api('PUT', 'sys/unseal', { key });
await api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, root);

const seedStarted = performance.now();
await bounded(secrets, 256, async (i) => {
  await logical(core, root, 'update', `kv/data/app/${i}`, { data: { value: 'v'.repeat(100) } });
});
const expiration = core.unsealed.expiration;
const rootAccessor = (await logical(core, root, 'read', 'auth/token/lookup-self')).response?.data
  ?.accessor as string;
if (!rootAccessor) throw new Error('unseal bench: no accessor for the root token');
await bounded(leases, 256, async (i) => {
  const ttlSeconds = 180 + (i % 360); // 3–9 minutes: all inside the horizon unseal loads
  await expiration.register(
    'database/creds/bench',
    { ttlSeconds, renewable: true, internalData: { username: `v-bench-${i}` } },
    rootAccessor,
    768 * 3600,
  );
});
const seedSeconds = (performance.now() - seedStarted) / 1000;

// Seeding is set-up, not the measurement: it ran on both cores (a third faster than on the server's
// core alone, which --quick's three minutes need). What is measured, from the seal on, runs where a
// server runs: every thread of this process on core 0, when taskset exists.
if (process.env.COFFER_BENCH_PIN_AFTER_SEED) {
  const pinned = spawnSync('taskset', [
    '-a',
    '-p',
    '-c',
    process.env.COFFER_BENCH_PIN_AFTER_SEED,
    String(process.pid),
  ]);
  if (pinned.status !== 0) throw new Error(`unseal bench: taskset failed: ${pinned.stderr}`);
}

await api('PUT', 'sys/seal', {}, root);
const unsealStarted = performance.now();
const unsealed = api('PUT', 'sys/unseal', { key });
let firstReadMs = Number.NaN;
// Poll the way a client would: the first KV read answered 200 after the unseal request was sent.
for (;;) {
  const res = await api('GET', 'kv/data/app/0', undefined, root);
  if (res.status === 200) {
    firstReadMs = performance.now() - unsealStarted;
    break;
  }
}
await unsealed;
await core.unsealed.expiration.ready;
const indexedMs = performance.now() - unsealStarted;
const timers = core.unsealed.expiration.pendingTimers();

process.stdout.write(
  `${JSON.stringify({ key, root, leases, secrets, seedSeconds, firstReadMs, indexedMs, timers })}\n`,
);
await server.stop();
process.exit(0);
