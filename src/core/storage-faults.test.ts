/**
 * SECURITY.md G3: random storage faults. A seeded 20% of storage operations fail (some after they
 * were applied) during a mixed run of KV v2, token, policy and lease requests through the real core
 * pipeline. Each request must succeed or fail with a 5xx, never answer a 4xx that only a half-applied
 * earlier failure explains, never hang; afterwards, with faults off, the stored indexes agree and
 * nothing is left that the expiration manager will not end. No promise may reject unhandled.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { kvEngine } from '../engines/kv/index.js';
import { FakeClock } from '../framework/clock.js';
import { defineEngine } from '../framework/engine.js';
import { createLogger, silentLogger } from '../framework/log.js';
import type { Operation } from '../framework/logical.js';
import { definePath } from '../framework/path.js';
import { mulberry32 } from '../framework/seeded-random.js';
import { StorageView } from '../framework/storage-view.js';
import { FaultyStorage } from '../storage/faulty.js';
import { InmemBackend } from '../storage/inmem.js';
import type { Core } from './core.js';
import { CofferError } from './errors.js';
import { hashId } from './expiration/due-index.js';
import type { LeaseEntry } from './expiration/lease.js';
import { tokenIndexKey } from './expiration/manager.js';
import { hashOfName } from './ids.js';
import type { CoreResponse } from './request-types.js';
import { startDevCore } from './testing.js';
import { accessorIndexName, childIndexName, type TokenEntry } from './token/store.js';

const SEED = Number(process.env.G3_SEED ?? 20261201);
const REQUESTS = 2000;
const KEYS = 24;
const POLICIES = 4;
const REQUEST_TIMEOUT_MS = 5000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));

/** An in-process engine that issues a 60 s lease per read, so leases need no external service. */
const lessorEngine = defineEngine({
  type: 'lessor',
  help: 'test leases',
  paths: [
    definePath({
      pattern: 'creds',
      operations: {
        read: async () => ({
          data: { user: 'u' },
          secret: { type: 'creds', ttlSeconds: 60, renewable: true, internalData: {} },
        }),
      },
      help: 'a credential',
    }),
  ],
  secrets: [{ type: 'creds', async revoke() {}, async renew() {} }],
});

/** Policy p<n>: always the lease path; `secret/data/probe` only while `grant` (its ACL must follow). */
const POLICY = (n: number, grant: boolean) =>
  `# p${n}\npath "lessor/creds" { capabilities = ["read"] }\n${grant ? 'path "secret/data/probe" { capabilities = ["read"] }\n' : ''}`;

type Status = number;

/** The HTTP status the handler would send for a core result or a thrown error (http/handler.ts). */
function statusOf(operation: Operation, result: CoreResponse): Status {
  const response = result.response;
  const hasContent =
    response &&
    (response.data || response.auth || response.lease || response.warnings?.length || result.auth);
  if (!hasContent) return operation === 'read' || operation === 'list' ? 404 : (response?.httpStatus ?? 204);
  return response?.httpStatus ?? 200;
}

interface KeyModel {
  certain: boolean;
  exists: boolean;
  current: number;
  deleted: boolean;
  value?: number;
}
interface TokenModel {
  token: string;
  accessor: string;
  policy: number;
  /** live | revoked | unknown (a revoke or renew failed) */
  state: 'live' | 'revoked' | 'unknown';
  expireAt: number;
  /** False after a failed renewal: it may have been applied. */
  expiryKnown: boolean;
}
interface LeaseModel {
  leaseId: string;
  owner: TokenModel;
  state: 'live' | 'revoked' | 'unknown';
  expireAt: number;
}
type Call = Awaited<ReturnType<typeof setUp>>['call'];
type Reply = Awaited<ReturnType<Call>>;

async function setUp() {
  const clock = new FakeClock(Date.UTC(2026, 11, 1));
  const faulty = new FaultyStorage(new InmemBackend(), { seed: SEED, rate: 0.2, afterApply: 0.3 });
  const { core, rootToken, send } = await startDevCore({
    engines: [kvEngine, lessorEngine],
    physical: faulty,
    clock,
    log: process.env.G3_DEBUG ? createLogger('warn') : silentLogger,
  });
  const call = async (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
    token = rootToken,
  ) => {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`request hung: ${operation} ${path}`)), REQUEST_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([send(operation, path, token, data), hang]);
      return { status: statusOf(operation, result), result, error: undefined as unknown };
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('request hung')) throw error;
      const status = error instanceof CofferError ? error.status : 500;
      return { status, result: undefined, error };
    } finally {
      clearTimeout(timer);
    }
  };
  await call('update', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  await call('update', 'sys/mounts/lessor', { type: 'lessor' });
  for (let i = 0; i < POLICIES; i++)
    await call('update', `sys/policies/acl/p${i}`, { policy: POLICY(i, true) });
  await call('update', 'secret/data/probe', { data: { value: 'probe' } });
  return { core, clock, faulty, call };
}

/** What the run knows of the state it made: each request's allowed outcomes follow from it. */
class Model {
  readonly keys: KeyModel[] = Array.from({ length: KEYS }, () => ({
    certain: true,
    exists: false,
    current: 0,
    deleted: false,
  }));
  readonly tokens: TokenModel[] = [];
  readonly leases: LeaseModel[] = [];
  /** Whether p<n> grants the probe read; undefined after a failed write (it may have been applied). */
  readonly grants: (boolean | undefined)[] = Array.from({ length: POLICIES }, () => true);
  readonly problems: string[] = [];
  readonly statuses = new Map<string, number>();
  readonly random = mulberry32(SEED ^ 0x9e3779b9);

  constructor(
    readonly call: Call,
    readonly clock: FakeClock,
  ) {}

  pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** A 5xx is always allowed: the fault was reported. Anything else must be one of `allowed`. */
  expect(what: string, reply: Reply, allowed: Status[]): void {
    const tag = `${what} ${reply.status}`;
    this.statuses.set(tag, (this.statuses.get(tag) ?? 0) + 1);
    if (reply.status >= 500 || allowed.includes(reply.status)) return;
    const message = reply.error instanceof Error ? reply.error.message : '';
    this.problems.push(`${what}: ${reply.status} (expected ${allowed.join('/')} or 5xx) ${message}`);
  }

  live(t: TokenModel): boolean {
    return t.state === 'live' && t.expireAt > this.clock.now() + 2000;
  }

  gone(t: TokenModel): boolean {
    return t.state === 'revoked' || (t.expiryKnown && t.expireAt <= this.clock.now());
  }

  leaseLive(l: LeaseModel): boolean {
    return l.state === 'live' && this.live(l.owner) && l.expireAt > this.clock.now() + 2000;
  }
}

type Step = (m: Model) => Promise<void>;

const kvWrite: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  // With check-and-set when the key's state is known: a half-applied write would show as a mismatch.
  const options = key.certain && m.random() < 0.5 ? { cas: key.current } : {};
  const value = Math.floor(m.random() * 1e9);
  const r = await m.call('update', `secret/data/k${k}`, { data: { value }, options });
  m.expect('kv write', r, [200]);
  if (r.status !== 200) key.certain = false;
  else {
    const version = Number(r.result?.response?.data?.version);
    Object.assign(key, { certain: true, exists: true, current: version, deleted: false, value });
  }
};

const kvRead: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('read', `secret/data/k${k}`);
  if (!key.certain) return m.expect('kv read (unknown)', r, [200, 404]);
  m.expect('kv read', r, [key.exists && key.current > 0 && !key.deleted ? 200 : 404]);
  const data = r.result?.response?.data as { data: { value: number } } | undefined;
  if (r.status === 200 && data?.data.value !== key.value)
    m.problems.push(`kv read k${k}: ${data?.data.value} != ${key.value}`);
};

const kvDelete: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('delete', `secret/data/k${k}`);
  m.expect('kv delete', r, [204]);
  if (r.status !== 204) key.certain = false;
  else if (key.exists && key.current > 0) key.deleted = true;
};

const kvUndelete: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('update', `secret/undelete/k${k}`, { versions: [Math.max(1, key.current)] });
  m.expect('kv undelete', r, key.certain && !key.exists ? [204, 404] : [204]);
  if (r.status === 204) key.deleted = false;
  else key.certain = false;
};

const kvMetadataRead: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('read', `secret/metadata/k${k}`);
  m.expect('kv metadata read', r, key.certain ? [key.exists ? 200 : 404] : [200, 404]);
  if (r.status === 404 && !key.certain) Object.assign(key, { certain: true, exists: false, current: 0 });
  if (r.status !== 200 || !key.certain) return;
  const meta = r.result?.response?.data as {
    current_version: number;
    versions: Record<string, { deletion_time: string }>;
  };
  if (meta.current_version !== key.current)
    m.problems.push(`kv metadata k${k}: current ${meta.current_version} != ${key.current}`);
  const info = meta.versions[key.current];
  if (key.current > 0 && (!info || (info.deletion_time !== '') !== key.deleted))
    m.problems.push(`kv metadata k${k}: version ${key.current} deleted state disagrees`);
};

const kvMetadataWrite: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('update', `secret/metadata/k${k}`, { max_versions: 3 + Math.floor(m.random() * 5) });
  m.expect('kv metadata write', r, [204]);
  if (r.status !== 204) key.certain = false;
  else key.exists = true;
};

const kvMetadataDelete: Step = async (m) => {
  const k = Math.floor(m.random() * KEYS);
  const key = m.keys[k];
  const r = await m.call('delete', `secret/metadata/k${k}`);
  m.expect('kv metadata delete', r, [204]);
  if (r.status === 204) Object.assign(key, { certain: true, exists: false, current: 0, deleted: false });
  else key.certain = false;
};

const tokenCreate: Step = async (m) => {
  const policy = Math.floor(m.random() * POLICIES);
  const ttl = `${10 + Math.floor(m.random() * 120)}s`;
  const r = await m.call('update', 'auth/token/create', { policies: [`p${policy}`], ttl });
  m.expect('token create', r, [200]);
  const auth = r.result?.auth as
    | { client_token: string; accessor: string; lease_duration: number }
    | undefined;
  if (r.status !== 200 || !auth) return;
  m.tokens.push({
    token: auth.client_token,
    accessor: auth.accessor,
    policy,
    state: 'live',
    expireAt: m.clock.now() + auth.lease_duration * 1000,
    expiryKnown: true,
  });
};

/** A step on one of the tokens made so far; nothing until there is one. */
const withToken =
  (step: (m: Model, t: TokenModel) => Promise<void>): Step =>
  async (m) => {
    if (m.tokens.length) await step(m, m.pick(m.tokens));
  };

const tokenLookupSelf = withToken(async (m, t) => {
  const r = await m.call('read', 'auth/token/lookup-self', {}, t.token);
  if (m.live(t)) m.expect('token lookup-self (live)', r, [200]);
  else if (m.gone(t)) m.expect('token lookup-self (gone)', r, [403]);
  else m.expect('token lookup-self (unknown)', r, [200, 403]);
});

const tokenLookupAccessor = withToken(async (m, t) => {
  const r = await m.call('update', 'auth/token/lookup-accessor', { accessor: t.accessor });
  m.expect('token lookup-accessor', r, m.live(t) ? [200] : [200, 400]);
});

const tokenRevoke = withToken(async (m, t) => {
  const r = await m.call('update', 'auth/token/revoke-accessor', { accessor: t.accessor });
  m.expect('token revoke-accessor', r, m.live(t) ? [204] : [204, 400]);
  if (r.status === 204 || r.status === 400) t.state = 'revoked';
  else if (t.state === 'live') t.state = 'unknown';
});

const tokenRenew = withToken(async (m, t) => {
  const r = await m.call('update', 'auth/token/renew-accessor', { accessor: t.accessor, increment: '60s' });
  m.expect('token renew-accessor', r, m.live(t) ? [200] : [200, 400]);
  const auth = r.result?.auth as { lease_duration: number } | undefined;
  if (r.status === 200 && auth) {
    t.expireAt = m.clock.now() + auth.lease_duration * 1000;
    t.expiryKnown = true;
  } else if (r.status >= 500) {
    t.expiryKnown = false; // the renewal may have been applied
    if (t.state === 'live') t.state = 'unknown';
  }
});

const leaseIssue = withToken(async (m, t) => {
  const r = await m.call('read', 'lessor/creds', {}, t.token);
  if (m.live(t)) m.expect('lease issue (live token)', r, [200]);
  else if (m.gone(t)) m.expect('lease issue (gone token)', r, [403]);
  else m.expect('lease issue (unknown token)', r, [200, 403]);
  if (r.status !== 200 || !r.result?.leaseId) return;
  const expireAt = Math.min(m.clock.now() + r.result.leaseDuration * 1000, t.expireAt);
  m.leases.push({ leaseId: r.result.leaseId, owner: t, state: 'live', expireAt });
});

/** The ACL a token gets follows its policy's last write. */
const probeRead = withToken(async (m, t) => {
  const grant = m.grants[t.policy];
  const r = await m.call('read', 'secret/data/probe', {}, t.token);
  if (m.live(t) && grant !== undefined) m.expect('probe read', r, [grant ? 200 : 403]);
  else m.expect('probe read (unknown)', r, [200, 403]);
});

const withLease =
  (step: (m: Model, l: LeaseModel) => Promise<void>): Step =>
  async (m) => {
    if (m.leases.length) await step(m, m.pick(m.leases));
  };

const leaseRenew = withLease(async (m, l) => {
  const live = m.leaseLive(l);
  const r = await m.call('update', 'sys/leases/renew', { lease_id: l.leaseId, increment: 60 });
  m.expect('lease renew', r, live ? [200] : [200, 400]);
  if (r.status === 200) l.expireAt = m.clock.now() + (r.result?.leaseDuration ?? 0) * 1000;
  else if (r.status >= 500 && l.state === 'live') l.state = 'unknown';
});

const leaseLookup = withLease(async (m, l) => {
  const r = await m.call('update', 'sys/leases/lookup', { lease_id: l.leaseId });
  m.expect('lease lookup', r, m.leaseLive(l) ? [200] : [200, 400]);
});

const leaseRevoke = withLease(async (m, l) => {
  const r = await m.call('update', 'sys/leases/revoke', { lease_id: l.leaseId });
  m.expect('lease revoke', r, [204]);
  if (r.status === 204) l.state = 'revoked';
  else if (l.state === 'live') l.state = 'unknown';
});

const policyWrite: Step = async (m) => {
  const p = Math.floor(m.random() * POLICIES);
  const grant = m.random() < 0.5;
  const r = await m.call('update', `sys/policies/acl/p${p}`, { policy: POLICY(p, grant) });
  m.expect('policy write', r, [204]);
  m.grants[p] = r.status === 204 ? grant : undefined;
};

const policyRead: Step = async (m) => {
  const p = Math.floor(m.random() * POLICIES);
  const r = await m.call('read', `sys/policies/acl/p${p}`);
  m.expect('policy read', r, [200]);
  const text = (r.result?.response?.data as { policy?: string } | undefined)?.policy;
  const grant = m.grants[p];
  if (r.status === 200 && grant !== undefined && text !== POLICY(p, grant))
    m.problems.push(`policy p${p}: read back a text other than the last written`);
};

/** The request mix, by weight (percent). */
const MIX: [number, Step][] = [
  [20, kvWrite],
  [15, kvRead],
  [7, kvDelete],
  [4, kvUndelete],
  [6, kvMetadataRead],
  [3, kvMetadataWrite],
  [2, kvMetadataDelete],
  [9, tokenCreate],
  [6, tokenLookupSelf],
  [4, tokenLookupAccessor],
  [4, tokenRevoke],
  [3, tokenRenew],
  [6, leaseIssue],
  [2, leaseRenew],
  [2, leaseLookup],
  [1, leaseRevoke],
  [2, policyWrite],
  [2, policyRead],
  [2, probeRead],
];

function chooseStep(m: Model): Step {
  let roll = m.random() * MIX.reduce((sum, [weight]) => sum + weight, 0);
  for (const [weight, step] of MIX) {
    roll -= weight;
    if (roll < 0) return step;
  }
  return MIX[0][1];
}

test('G3: 2,000 mixed requests over storage that fails 20% of operations', async () => {
  const { core, clock, faulty, call } = await setUp();
  const m = new Model(call, clock);
  faulty.enabled = true;
  for (let i = 0; i < REQUESTS; i++) {
    if (i % 25 === 24) clock.advance(Math.floor(m.random() * 4000));
    await chooseStep(m)(m);
    // A token's leases end with its revocation.
    for (const l of m.leases) if (l.owner.state === 'revoked' && l.state === 'live') l.state = 'revoked';
  }
  faulty.enabled = false;
  await settle();
  const summary = `seed ${SEED}: ${faulty.counts.faults} faults in ${faulty.counts.ops} storage operations`;
  assert.ok(faulty.counts.faults > 300, summary);
  const tally = [...m.statuses].map(([k, v]) => `${k}: ${v}`).join('\n');
  assert.deepEqual(m.problems, [], `${summary}\n${tally}`);

  // With faults off, every key the model knows reads as the model says, and the indexes agree.
  for (const [k, key] of m.keys.entries()) {
    if (!key.certain || !key.exists || key.current === 0 || key.deleted) continue;
    assert.equal((await call('read', `secret/data/k${k}`)).status, 200, `k${k} is readable`);
  }
  await checkInvariants(core);

  // Expirations, retries and the due-index loader under faults: an hour, a minute at a time.
  faulty.enabled = true;
  await advance(clock, 60, 60_000);
  faulty.enabled = false;
  await settle();
  await checkInvariants(core);

  // Everything left expires: nothing is stranded without a due entry.
  await advance(clock, 30, 10 * 60_000);
  const barrier = core.barrier;
  assert.deepEqual(await allKeys(barrier, 'sys/expire/id/'), [], 'every lease has ended');
  const tokens = new StorageView(barrier, 'sys/token/id/');
  const left = [];
  for (const name of await allKeys(tokens, '')) {
    const entry = await tokens.getJson<TokenEntry>(name);
    if (entry?.expireTime !== undefined) left.push(entry.accessor);
  }
  assert.deepEqual(left, [], 'every token with a TTL has ended');
  assert.deepEqual(await allKeys(barrier, 'sys/expire/due/'), [], 'no due entry is left');
  await checkInvariants(core);
  assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection');
  await core.sealVault();
});

/** Lets background work (expirations, retries) run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function advance(clock: FakeClock, steps: number, ms: number): Promise<void> {
  for (let step = 0; step < steps; step++) {
    clock.advance(ms);
    await settle();
  }
}

async function allKeys(backend: { list(prefix: string): Promise<string[]> }, prefix: string) {
  const out: string[] = [];
  const walk = async (folder: string) => {
    for (const child of await backend.list(prefix + folder)) {
      if (child.endsWith('/')) await walk(folder + child);
      else out.push(folder + child);
    }
  };
  await walk('');
  return out.sort();
}

/** The stored indexes agree with the records they index (read through the barrier, faults off). */
async function checkInvariants(core: Core): Promise<void> {
  const errors: string[] = [];
  await checkKv(core.unsealed.mounts.route('secret/data/x')!.ctx.storage, errors);
  const expire = new StorageView(core.barrier, 'sys/expire/');
  const due = await allKeys(expire, 'due/');
  // A due entry's name ends with the id's hash, 64 hex digits, whatever comes before it.
  const dueHashes = new Set(due.map((key) => key.slice(-64)));
  const accessors = await checkTokens(new StorageView(core.barrier, 'sys/token/'), dueHashes, errors);
  await checkLeases(expire, dueHashes, accessors, errors);
  assert.deepEqual(errors, [], 'invariants');
}

/** Every KV v2 key's metadata and version data agree. */
async function checkKv(kv: StorageView, errors: string[]): Promise<void> {
  for (const path of await allKeys(kv, 'metadata/')) {
    const meta = (await kv.getJson<{
      currentVersion: number;
      versions: Record<string, { destroyed: boolean }>;
    }>(`metadata/${path}`))!;
    const stored = await allKeys(kv, `versions/${path}/`);
    for (const [v, info] of Object.entries(meta.versions))
      if (!info.destroyed && !stored.includes(v)) errors.push(`kv ${path}: version ${v} has no data`);
    for (const v of stored) if (!meta.versions[v]) errors.push(`kv ${path}: data of unknown version ${v}`);
    if (meta.currentVersion > 0 && !meta.versions[meta.currentVersion])
      errors.push(`kv ${path}: current version ${meta.currentVersion} not in the version table`);
  }
  for (const name of await allKeys(kv, 'versions/')) {
    const path = name.slice(0, name.lastIndexOf('/'));
    if (!(await kv.has(`metadata/${path}`))) errors.push(`kv ${path}: versions without metadata`);
  }
}

/** Tokens by id, by accessor and by parent agree; a token with a TTL has a due entry. Returns the accessors. */
async function checkTokens(tokens: StorageView, dueHashes: Set<string>, errors: string[]) {
  const salt = Buffer.from((await tokens.getJson<{ salt: string }>('salt'))!.salt, 'hex');
  const hmac = (value: string) => createHmac('sha256', salt).update(value).digest('hex');
  const entries = new Map<string, TokenEntry>();
  for (const idHash of await allKeys(tokens, 'id/'))
    entries.set(idHash, (await tokens.getJson<TokenEntry>(`id/${idHash}`))!);
  for (const [idHash, entry] of entries) {
    const accessorName = accessorIndexName(entry, hmac(entry.accessor));
    const ref = await tokens.getJson<{ idHash: string }>(`accessor/${accessorName}`);
    if (ref?.idHash !== idHash) errors.push(`token ${entry.accessor}: not findable by its accessor`);
    if (entry.parentHash && !entries.has(entry.parentHash))
      errors.push(`token ${entry.accessor}: outlived its parent`);
    if (entry.parentHash && !(await tokens.has(`parent/${entry.parentHash}/${childIndexName(entry)}`)))
      errors.push(`token ${entry.accessor}: missing from its parent's index`);
    if (entry.expireTime !== undefined && !dueHashes.has(hashId('token', entry.accessor)))
      errors.push(`token ${entry.accessor}: has a TTL but no due entry`);
  }
  for (const name of await allKeys(tokens, 'accessor/')) {
    const ref = await tokens.getJson<{ idHash: string }>(`accessor/${name}`);
    if (!ref || !entries.has(ref.idHash)) errors.push(`accessor index ${name.slice(0, 8)}: no token`);
  }
  for (const name of await allKeys(tokens, 'parent/')) {
    const child = hashOfName(name.split('/')[1]);
    if (!entries.has(child)) errors.push(`parent index ${name.slice(0, 8)}: no child`);
  }
  return new Set([...entries.values()].map((entry) => entry.accessor));
}

/** Each lease has its due entry and its token's index entry, and its token (unless it is being retried). */
async function checkLeases(
  expire: StorageView,
  dueHashes: Set<string>,
  accessors: Set<string>,
  errors: string[],
): Promise<void> {
  for (const leaseId of await allKeys(expire, 'id/')) {
    const lease = (await expire.getJson<LeaseEntry>(`id/${leaseId}`))!;
    if (!dueHashes.has(hashId('lease', leaseId))) errors.push(`lease ${leaseId}: no due entry`);
    if (!lease.tokenAccessor) continue;
    if (!(await expire.has(tokenIndexKey(lease, lease.tokenAccessor))))
      errors.push(`lease ${leaseId}: missing from its token's index`);
    if (!accessors.has(lease.tokenAccessor) && !lease.revokeAttempts)
      errors.push(`lease ${leaseId}: outlived its token`);
  }
  for (const name of await allKeys(expire, 'token/')) {
    const ref = await expire.getJson<{ leaseId: string }>(`token/${name}`);
    if (!ref || !(await expire.has(`id/${ref.leaseId}`)))
      errors.push(`token lease index ${name.slice(0, 8)}: no lease`);
  }
}
