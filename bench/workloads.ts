/** The workloads of PERFORMANCE.md: how each prepares its data and what it sends. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { inParallel, type LoadResult, type LoadSpec } from './load.js';
import type { Selectable } from './select.js';
import type { BenchServer } from './server.js';

/** `name`, and `optIn` (measured only when named with `--only`), come from Selectable. */
export interface Workload extends Selectable {
  baseline: string;
  target: number;
  unavailable?: string;
  prepare(server: BenchServer): Promise<Omit<LoadSpec, 'url' | 'durationSeconds'> | undefined>;
  /**
   * Slow requests (a KDF each): measure at least this long, and take the rate by Little's law
   * (closedLoopRate), since a window's count leaves out what is still in flight at its end.
   */
  minSeconds?: number;
  /** A p99 bound as well (PERFORMANCE.md's kv2-read at 10 connections): reported as the row `<name>-p99`. */
  p99TargetMs?: number;
  /** A p99 bound as a multiple of the baseline's own p99 (PERFORMANCE.md's health): the row `<name>-p99`. */
  p99VsBaseline?: number;
  /**
   * A latency probe run beside the measurement: its p99 during the load against its p99 alone,
   * reported as its own row (`name`), within `target` times.
   */
  alongside?: {
    name: string;
    target: number;
    /** Probe requests per second (probeLatency), over one connection. */
    rate: number;
    /** The probe's requests: the `sequence` paths and the headers of a load spec. */
    prepare(server: BenchServer): Promise<Omit<LoadSpec, 'url' | 'durationSeconds'>>;
  };
  /** Runs after the measurement (undo what `prepare` enabled, such as an audit device). */
  teardown?(server: BenchServer): Promise<void>;
  /**
   * The same load with one part removed (kv2-read-audit: its audit device), run on the same server
   * just before each round and as long: the part's cost is then measured in the same minute as the
   * workload (run.ts, the median of each pair's ratio).
   * Against the kv2-read row, minutes earlier, the audit cost read anything from −8% to 33%.
   */
  without?: { remove(server: BenchServer): Promise<void>; restore(server: BenchServer): Promise<void> };
}

/** A workload that measures itself (its own load loop, or timings that are not requests/s). */
/** `name`, and `also` (further rows it reports, selected by `--only` under either name), come from Selectable. */
export interface CustomWorkload extends Selectable {
  custom: true;
  /** Baselines it needs, computed only when it is selected. */
  needs?: string[];
  run(server: BenchServer, context: CustomContext): Promise<CustomResult[]>;
}

export interface CustomContext {
  seconds: number;
  rounds: number;
  baselines: Record<string, number>;
  storage: string;
  /** Seconds of a baseline measured beside a workload; 0 with --quick, which keeps the start-of-run ones. */
  pairSeconds: number;
}

export interface CustomResult {
  name: string;
  result: LoadResult;
  /** Ratio to its baseline, or to its own reference (idle p99, a target rate). */
  ratio?: number;
  baseline?: string;
  target?: number;
  /** The ratio is a cost (a p99 against idle, memory against a limit): met at or below its target. */
  lowerIsBetter?: boolean;
  /** The printed line, when the plain shape does not say enough. */
  line: string;
  note?: string;
}

export const PG_URL = process.env.COFFER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS = { host: '127.0.0.1', port: Number(process.env.COFFER_BENCH_REDIS_PORT ?? 6379) };

const rotate = <T>(items: T[]) => {
  let i = 0;
  return () => items[i++ % items.length];
};

/** Everything a workload set up on one server, so `--only` can run any workload alone. */
const prepared = new WeakMap<BenchServer, Map<string, Promise<unknown>>>();
function once<T>(server: BenchServer, key: string, make: () => Promise<T>): Promise<T> {
  let done = prepared.get(server);
  if (!done) {
    done = new Map();
    prepared.set(server, done);
  }
  if (!done.has(key)) done.set(key, make());
  return done.get(key) as Promise<T>;
}

export async function ok(server: BenchServer, method: string, path: string, body?: unknown) {
  const res = await server.api(method, path, body, server.token);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

function seedKv(server: BenchServer, mount: string, version: '1' | '2', count: number): Promise<string[]> {
  return once(server, `kv:${mount}`, async () => {
    await ok(server, 'POST', `sys/mounts/${mount}`, { type: 'kv', options: { version } });
    const paths = Array.from({ length: count }, (_, i) =>
      version === '2' ? `${mount}/data/app/${i}` : `${mount}/app/${i}`,
    );
    const body = version === '2' ? { data: { value: 'v'.repeat(100) } } : { value: 'v'.repeat(100) };
    // 64 at a time, sharing fsyncs: one after the other, each waiting for its own, took seconds of
    // --quick's three minutes (16 at a time still 4.5 s in a slow hour).
    const failed = await inParallel(count, 64, (i) => ok(server, 'POST', paths[i], body).then(() => {}));
    if (failed) throw new Error(`${failed} of ${count} kv paths under ${mount} could not be written`);
    return paths.map((path) => `/v1/${path}`);
  });
}

/** One file audit device, as PERFORMANCE.md's audited rows ask; its directory goes when the run ends. */
const enableAudit = (server: BenchServer) =>
  once(server, 'audit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-audit-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return ok(server, 'PUT', 'sys/audit/bench-file', {
      type: 'file',
      options: { file_path: join(dir, 'audit.log') },
    });
  });
async function disableAudit(server: BenchServer): Promise<void> {
  await ok(server, 'DELETE', 'sys/audit/bench-file');
  prepared.get(server)?.delete('audit');
}

/**
 * A token holding only `policy` (no root): reads are measured with a real ACL check, as a service's
 * token would have, not the root token's short cut.
 */
function policyToken(server: BenchServer, name: string, policy: string): Promise<string> {
  return once(server, `token:${name}`, async () => {
    await ok(server, 'PUT', `sys/policies/acl/${name}`, { policy });
    const created = await ok(server, 'POST', 'auth/token/create', { policies: [name], ttl: '24h' });
    return String(created.body.auth.client_token);
  });
}

const kvReader = (server: BenchServer) =>
  policyToken(
    server,
    'bench-kv-read',
    'path "bench-kv2/data/*" { capabilities = ["read"] }\npath "bench-kv1/*" { capabilities = ["read"] }',
  );

/**
 * A login token, so with an entity, as every login token has: its read policy comes from a group the
 * entity is in, so each request resolves the identity (cached per entity) and its compiled ACL.
 */
const entityKvReader = (server: BenchServer) =>
  once(server, 'token:entity-kv-read', async () => {
    await ok(server, 'PUT', 'sys/policies/acl/bench-kv-read-entity', {
      policy: 'path "bench-kv2/data/*" { capabilities = ["read"] }',
    });
    await ok(server, 'POST', 'sys/auth/bench-entity', { type: 'userpass' });
    const password = randomBytes(16).toString('hex');
    await ok(server, 'POST', 'auth/bench-entity/users/reader', { password });
    const login = await server.api('POST', 'auth/bench-entity/login/reader', { password });
    if (login.status !== 200) throw new Error(`bench-entity login: ${login.status}`);
    const entityId = String(login.body.auth.entity_id);
    await ok(server, 'POST', 'identity/group', {
      name: 'bench-readers',
      policies: ['bench-kv-read-entity'],
      member_entity_ids: [entityId],
    });
    return String(login.body.auth.client_token);
  });

export const kvRead = async (server: BenchServer, connections: number, reader = kvReader) => {
  const paths = await seedKv(server, 'bench-kv2', '2', 1000);
  return {
    connections,
    headers: { 'X-Vault-Token': await reader(server) },
    sequence: paths.map((path) => ({ path })),
  };
};

/**
 * PERFORMANCE.md's transit rows: a `transit` mount with one aes256-gcm96 key, a token whose only policy
 * is encrypt and decrypt on it, and 64 different 256-byte plaintexts with their ciphertexts.
 */
const transitSetup = (server: BenchServer) =>
  once(server, 'transit', async () => {
    await ok(server, 'POST', 'sys/mounts/bench-transit', { type: 'transit' });
    await ok(server, 'POST', 'bench-transit/keys/bench', {});
    const token = await policyToken(
      server,
      'bench-transit',
      'path "bench-transit/encrypt/bench" { capabilities = ["update"] }\npath "bench-transit/decrypt/bench" { capabilities = ["update"] }',
    );
    const plaintexts = Array.from({ length: 64 }, (_, i) => Buffer.alloc(256, i).toString('base64'));
    const ciphertexts: string[] = [];
    for (const plaintext of plaintexts) {
      const res = await ok(server, 'POST', 'bench-transit/encrypt/bench', { plaintext });
      ciphertexts.push((res.body as { data: { ciphertext: string } }).data.ciphertext);
    }
    return { token, plaintexts, ciphertexts };
  });

const transitLoad = async (server: BenchServer, op: 'encrypt' | 'decrypt') => {
  const { token, plaintexts, ciphertexts } = await transitSetup(server);
  const bodies =
    op === 'encrypt'
      ? plaintexts.map((plaintext) => JSON.stringify({ plaintext }))
      : ciphertexts.map((ciphertext) => JSON.stringify({ ciphertext }));
  return {
    connections: 64,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    sequence: bodies.map((body) => ({ path: `/v1/bench-transit/${op}/bench`, method: 'POST', body })),
  };
};

/**
 * PERFORMANCE.md's pki-issue row: a `pki` mount with an EC P-256 root, a role issuing EC P-256 leaf
 * certificates for any name (stored, as by default), and a token whose only policy is issue on it.
 */
const pkiIssue = async (server: BenchServer) => {
  const token = await once(server, 'pki', async () => {
    await ok(server, 'POST', 'sys/mounts/bench-pki', { type: 'pki' });
    await ok(server, 'POST', 'bench-pki/root/generate/internal', {
      common_name: 'Bench Root',
      key_type: 'ec',
      ttl: '720h',
    });
    await ok(server, 'POST', 'bench-pki/roles/bench', { allow_any_name: true, key_type: 'ec', ttl: '1h' });
    return policyToken(server, 'bench-pki', 'path "bench-pki/issue/bench" { capabilities = ["update"] }');
  });
  const body = JSON.stringify({ common_name: 'bench.example.com' });
  return {
    connections: 16,
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    sequence: [{ path: '/v1/bench-pki/issue/bench', method: 'POST', body }],
  };
};

/**
 * A Redis admin user (`admin`) the database engine manages users with, and the engine mounted at
 * `mount` with a role `role` for read-only users. Returns the role's creds path.
 */
export async function mountRedis(server: BenchServer, mount: string, role: string, admin: string) {
  const password = `${admin}-Pw-${server.child.pid}`;
  const root = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await root.connect();
  await root.call('ACL', 'SETUSER', admin, 'on', `>${password}`, '~*', '&*', '+@all');
  root.disconnect();
  await ok(server, 'POST', `sys/mounts/${mount}`, { type: 'database' });
  await ok(server, 'POST', `${mount}/config/redis`, {
    plugin_name: 'redis-database-plugin',
    ...REDIS,
    username: admin,
    password,
    allowed_roles: '*',
  });
  await ok(server, 'POST', `${mount}/roles/${role}`, {
    db_name: 'redis',
    creation_statements: '["~bench:*", "+@read"]',
    default_ttl: '1h',
    max_ttl: '24h',
  });
  return `${mount}/creds/${role}`;
}

function redisCreds(server: BenchServer): Promise<void> {
  return once(server, 'redis', async () => {
    await mountRedis(server, 'bench-db', 'redis', `coffer_bench_${server.child.pid}`);
  });
}

/**
 * Drops the users and leases a Redis workload made (the Redis server is shared), its admin user and
 * its mount, after each one: run alone (`--only redis-creds`) a workload leaves nothing behind, and
 * the next one that needs Redis sets it up afresh.
 */
async function cleanRedis(server: BenchServer): Promise<void> {
  await settleInFlight();
  await server.api('PUT', 'sys/leases/revoke-prefix/bench-db/creds/redis', {}, server.token);
  // Unmounting revokes any lease the prefix revocation did not see, while the admin user still exists.
  await ok(server, 'DELETE', 'sys/mounts/bench-db');
  prepared.get(server)?.delete('redis');
  const root = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await root.connect();
  const users = (await root.call('ACL', 'USERS')) as string[];
  for (const user of users.filter((u) => u.includes('_REDIS_') || u === `coffer_bench_${server.child.pid}`))
    await root.call('ACL', 'DELUSER', user);
  root.disconnect();
}

/**
 * A timed load stops with requests still in the server; a credential those issue would come after a
 * clean-up that ran at once. A request takes tens of milliseconds here, even at p99.
 */
export const settleInFlight = () => sleep(250);

export const WORKLOADS: (Workload | CustomWorkload)[] = [
  {
    name: 'health',
    baseline: 'bare-http',
    target: 0.75,
    prepare: async () => ({ connections: 64, sequence: [{ path: '/v1/sys/health' }] }),
  },
  {
    // PERFORMANCE.md measures latency at 10 connections: health's p99 within 1.5 x bare-http's there.
    name: 'health@10',
    baseline: 'bare-http@10',
    target: 0.75,
    p99VsBaseline: 1.5,
    prepare: async () => ({ connections: 10, sequence: [{ path: '/v1/sys/health' }] }),
  },
  { name: 'kv2-read', baseline: 'bare-http', target: 0.5, prepare: (server) => kvRead(server, 64) },
  {
    name: 'transit-encrypt',
    baseline: 'bare-http',
    target: 0.4,
    prepare: (server) => transitLoad(server, 'encrypt'),
  },
  {
    name: 'transit-decrypt',
    baseline: 'bare-http',
    target: 0.4,
    prepare: (server) => transitLoad(server, 'decrypt'),
  },
  { name: 'pki-issue', baseline: 'pki-sign', target: 0.1, prepare: pkiIssue },
  {
    name: 'kv2-read@10',
    baseline: 'bare-http@10',
    target: 0.5,
    p99TargetMs: 1,
    prepare: (server) => kvRead(server, 10),
  },
  {
    // Not a PERFORMANCE.md row: kv2-read with a login token, whose policy comes through its entity's
    // group, held to kv2-read's target so that the identity path on every request is measured too.
    // Opt-in (`--only kv2-read-entity`): its 20 s took the default run to ten minutes in slow hours.
    name: 'kv2-read-entity',
    baseline: 'bare-http',
    target: 0.5,
    optIn: true,
    prepare: (server) => kvRead(server, 64, entityKvReader),
  },
  {
    // Same as kv2-read with one file audit device; run.ts adds its cost against kv2-read of this run.
    name: 'kv2-read-audit',
    baseline: 'bare-http',
    target: 0.35,
    prepare: async (server) => {
      await enableAudit(server);
      return kvRead(server, 64);
    },
    teardown: disableAudit,
    without: {
      remove: disableAudit,
      restore: async (server) => {
        await enableAudit(server);
      },
    },
  },
  {
    // PERFORMANCE.md measures kv1-read with audit on; the device stays from kv2-read-audit.
    name: 'kv1-read',
    baseline: 'bare-http',
    target: 0.38,
    prepare: async (server) => {
      await enableAudit(server);
      const paths = await seedKv(server, 'bench-kv1', '1', 1000);
      return {
        connections: 64,
        headers: { 'X-Vault-Token': await kvReader(server) },
        sequence: paths.map((path) => ({ path })),
      };
    },
    teardown: disableAudit,
  },
  {
    name: 'kv2-write@1',
    baseline: 'raw-fsync',
    target: 0.5,
    prepare: async (server) => {
      await seedKv(server, 'bench-kv2', '2', 1000);
      const body = JSON.stringify({ data: { value: 'w'.repeat(100) } });
      return {
        connections: 1,
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        sequence: Array.from({ length: 500 }, (_, i) => ({
          path: `/v1/bench-kv2/data/write/${i}`,
          method: 'POST',
          body,
        })),
      };
    },
  },
  {
    name: 'kv2-write@64',
    baseline: 'bare-http',
    target: 0.18,
    prepare: async (server) => {
      await seedKv(server, 'bench-kv2', '2', 1000);
      // `next`, not a shared sequence: every connection would start on the same key and queue on its lock.
      // At write rates the generator's per-request rebuild is not the limit.
      let i = 0;
      const body = JSON.stringify({ data: { value: 'w'.repeat(100) } });
      return {
        connections: 64,
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        next: () => ({ path: `/v1/bench-kv2/data/write/${i++ % 5000}`, method: 'POST', body }),
      };
    },
  },
  {
    name: 'token-create',
    baseline: 'bare-http',
    target: 0.12,
    prepare: async (server) => ({
      connections: 64,
      headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
      sequence: [
        { path: '/v1/auth/token/create', method: 'POST', body: '{"ttl":"1h","policies":["default"]}' },
      ],
    }),
  },
  {
    name: 'lookup-self',
    baseline: 'bare-http',
    target: 0.4,
    prepare: async (server) => ({
      connections: 64,
      headers: { 'X-Vault-Token': server.token },
      sequence: [{ path: '/v1/auth/token/lookup-self' }],
    }),
  },
  {
    name: 'approle-login',
    baseline: 'bare-http',
    target: 0.12,
    prepare: async (server) => {
      await ok(server, 'POST', 'sys/auth/approle', { type: 'approle' });
      await ok(server, 'POST', 'auth/approle/role/bench', { token_policies: 'default', token_ttl: '1h' });
      const roleId = (await ok(server, 'GET', 'auth/approle/role/bench/role-id')).body.data.role_id;
      const secretId = (await ok(server, 'POST', 'auth/approle/role/bench/secret-id', {})).body.data
        .secret_id;
      const body = JSON.stringify({ role_id: roleId, secret_id: secretId });
      return {
        connections: 64,
        headers: { 'Content-Type': 'application/json' },
        sequence: [{ path: '/v1/auth/approle/login', method: 'POST', body }],
      };
    },
  },
  {
    name: 'userpass-login',
    baseline: 'kdf',
    target: 0.85,
    // Three rounds of 7 s: four logins in flight at the KDF's 3-6.5 hashes/s complete 20-45 a round.
    minSeconds: 7,
    prepare: async (server) => {
      await ok(server, 'POST', 'sys/auth/userpass', { type: 'userpass' });
      // Many users: the lockout serialises the logins of one user (one KDF at a time per user).
      const users = Array.from({ length: 16 }, (_, i) => `bench${i}`);
      // Four requests at a time (the server hashes as many at once as its cores allow, one on its
      // pinned core): one by one, each waiting for its own round trip, was seconds of --quick.
      const failed = await inParallel(users.length, 4, (i) =>
        ok(server, 'POST', `auth/userpass/users/${users[i]}`, {
          password: 'bench-password',
          token_ttl: '1h',
        }).then(() => {}),
      );
      if (failed) throw new Error(`${failed} userpass users could not be created`);
      const next = rotate(users);
      const body = JSON.stringify({ password: 'bench-password' });
      return {
        connections: 4, // as many in flight as the kdf baseline keeps; the server queues what it cannot hash yet
        headers: { 'Content-Type': 'application/json' },
        next: () => ({ path: `/v1/auth/userpass/login/${next()}`, method: 'POST', body }),
      };
    },
    // PERFORMANCE.md: kv2-read's p99 within 2x idle while the logins run: hashing never on the event
    // loop. Probed at a fixed 500 reads/s: reads as fast as answered would measure how the one server
    // core is shared with four KDF threads, not whether a hash stalls the loop (one would: ~1 s).
    alongside: {
      name: 'userpass-login-kv2-read-p99',
      target: 2,
      rate: 500,
      prepare: (server) => kvRead(server, 1),
    },
  },
  {
    name: 'jwt-login',
    baseline: 'bare-http',
    target: 0.1,
    prepare: async (server) => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await ok(server, 'POST', 'sys/auth/jwt', { type: 'jwt' });
      await ok(server, 'PUT', 'auth/jwt/config', {
        jwt_validation_pubkeys: [publicKey.export({ type: 'spki', format: 'pem' })],
      });
      await ok(server, 'PUT', 'auth/jwt/role/bench', {
        role_type: 'jwt',
        user_claim: 'sub',
        bound_audiences: ['bench'],
        token_policies: ['default'],
        token_ttl: '1h',
      });
      const jwt = await new SignJWT({ sub: 'bench-client' })
        .setProtectedHeader({ alg: 'RS256' })
        .setAudience('bench')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey);
      const body = JSON.stringify({ role: 'bench', jwt });
      return {
        connections: 64,
        headers: { 'Content-Type': 'application/json' },
        sequence: [{ path: '/v1/auth/jwt/login', method: 'POST', body }],
      };
    },
  },
  {
    name: 'redis-creds',
    baseline: 'bare-http',
    target: 0.1,
    prepare: async (server) => {
      await redisCreds(server);
      return {
        connections: 64,
        headers: { 'X-Vault-Token': server.token },
        sequence: [{ path: '/v1/bench-db/creds/redis' }],
      };
    },
    teardown: cleanRedis,
  },
  {
    name: 'lease-renew',
    baseline: 'bare-http',
    target: 0.15,
    prepare: async (server) => {
      await redisCreds(server);
      const leases: string[] = [];
      const failed = await inParallel(64, 16, async () => {
        leases.push((await ok(server, 'GET', 'bench-db/creds/redis')).body.lease_id);
      });
      if (failed) throw new Error(`${failed} of 64 redis leases could not be issued`);
      const next = rotate(leases.map((id) => JSON.stringify({ lease_id: id, increment: 3600 })));
      return {
        connections: 64,
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        next: () => ({ path: '/v1/sys/leases/renew', method: 'PUT', body: next() }),
      };
    },
    teardown: cleanRedis,
  },
];
