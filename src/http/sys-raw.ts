/**
 * The endpoints served outside the logical router, which work while sealed and answer bare JSON
 * objects instead of the envelope: init, seal-status, unseal, health, leader.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUILD_DATE, type Core, VERSION } from '../core/core.js';
import { CofferError, invalid } from '../core/errors.js';
import { isPlainObject } from '../framework/fields.js';
import { goJson } from './envelope.js';
import { writeJson, writeJsonText } from './errors.js';
import { parseGoBool, type Query } from './parse-request.js';

export const RAW_PATHS = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health', 'sys/leader']);

type Body = Record<string, unknown>;

/** The barrier's state: an HA standby is unsealed, though it serves nothing itself. */
function isSealed(core: Core): boolean {
  return core.isSealed() && !core.isStandby();
}

export async function sealStatus(core: Core): Promise<Body> {
  const status = await core.seal.status();
  const body: Body = {
    type: status.type,
    initialized: status.initialized,
    sealed: isSealed(core),
    t: status.t,
    n: status.n,
    progress: status.progress,
    nonce: status.nonce,
    version: VERSION,
    build_date: BUILD_DATE,
    migration: false,
    recovery_seal: core.seal.recoverySeal,
    storage_type: core.storageType,
  };
  const cluster = core.clusterInfo;
  if (cluster) Object.assign(body, { cluster_name: cluster.name, cluster_id: cluster.id });
  // Vault names the recovery keys' seal only when there is one (omitted for Shamir).
  if (core.seal.recoverySeal) body.recovery_seal_type = 'shamir';
  return body;
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0) return false;
  return !(Array.isArray(value) && value.length === 0);
}

function intOf(value: unknown, name: string): number {
  if (value === undefined) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`"${name}" must be an integer`);
  return n;
}

const BARRIER_FIELDS = ['secret_shares', 'secret_threshold', 'pgp_keys'];
const RECOVERY_FIELDS = ['recovery_shares', 'recovery_threshold', 'recovery_pgp_keys'];

async function initialize(core: Core, body: Body): Promise<Body> {
  // Vault's check: the fields of the other kind of seal are refused, by name. The Go CLI always
  // sends every field, empty; only a non-empty value asks for something.
  const misplaced = (core.seal.recoverySeal ? BARRIER_FIELDS : RECOVERY_FIELDS).filter((f) =>
    present(body[f]),
  );
  if (misplaced.length > 0)
    throw invalid(`parameters ${misplaced.join(',')} not applicable to seal type ${core.seal.type}`);
  if (present(body.pgp_keys) || present(body.root_token_pgp_key) || present(body.recovery_pgp_keys)) {
    throw invalid('PGP-encrypted unseal keys are not supported by this server');
  }
  const { keys, recoveryKeys, rootToken } = await core.initialize({
    secretShares: intOf(body.secret_shares, 'secret_shares'),
    secretThreshold: intOf(body.secret_threshold, 'secret_threshold'),
    recoveryShares: intOf(body.recovery_shares, 'recovery_shares'),
    recoveryThreshold: intOf(body.recovery_threshold, 'recovery_threshold'),
  });
  const hex = (list: Uint8Array[]) => list.map((k) => Buffer.from(k).toString('hex'));
  const base64 = (list: Uint8Array[]) => list.map((k) => Buffer.from(k).toString('base64'));
  // Vault's field order; the recovery fields only when there are recovery keys.
  return {
    keys: hex(keys),
    keys_base64: base64(keys),
    ...(recoveryKeys.length > 0
      ? { recovery_keys: hex(recoveryKeys), recovery_keys_base64: base64(recoveryKeys) }
      : {}),
    root_token: rootToken,
  };
}

async function unseal(core: Core, body: Body): Promise<Body> {
  const reset = body.reset === true || body.reset === 'true';
  if (reset) {
    if (!isSealed(core)) throw invalid('vault is unsealed');
    core.seal.resetProgress();
    return sealStatus(core);
  }
  if (typeof body.key !== 'string' || body.key === '') {
    throw invalid("'key' must be specified in request body as JSON, or 'reset' set to true");
  }
  if (!(await core.seal.status()).initialized) throw invalid('Vault is not initialized');
  await core.submitUnsealKey(body.key);
  return sealStatus(core);
}

const HEALTH_CODES = [
  'activecode',
  'standbycode',
  'sealedcode',
  'uninitcode',
  'drsecondarycode',
  'performancestandbycode',
];

/** The status codes and `standbyok` a health request asks for; Vault's 400 (empty) for a malformed one. */
function healthOptions(query: Query): { codes: Record<string, number>; standbyOk: boolean } {
  const codes: Record<string, number> = {};
  for (const name of HEALTH_CODES) {
    const raw = query.get(name);
    if (raw === null) continue;
    if (!/^-?\d+$/.test(raw)) throw new CofferError('invalid_request', '');
    codes[name] = Number(raw);
  }
  for (const flag of ['standbyok', 'perfstandbyok']) {
    const raw = query.get(flag);
    if (raw !== null && raw !== '' && parseGoBool(raw) === undefined)
      throw new CofferError('invalid_request', '');
  }
  // Vault: a true `standbyok` makes a standby answer the active code; an empty one is false
  // (parseutil.ParseBool decodes weakly, and "" weakly decodes to false).
  return { codes, standbyOk: parseGoBool(query.get('standbyok') ?? '') === true };
}

/** A poll without a query (most load balancers' and the bench's): nothing to parse. */
const NO_HEALTH_OPTIONS = Object.freeze({
  codes: Object.freeze({}) as Record<string, number>,
  standbyOk: false,
});

async function health(core: Core, query: Query): Promise<{ status: number; text: string }> {
  const { codes, standbyOk } = query.size === 0 ? NO_HEALTH_OPTIONS : healthOptions(query);
  const { initialized } = await core.seal.status();
  const sealed = isSealed(core);
  const standby = core.isStandby();
  let status = codes.activecode ?? 200;
  if (!initialized) status = codes.uninitcode ?? 501;
  else if (sealed) status = codes.sealedcode ?? 503;
  else if (standby && !standbyOk) status = codes.standbycode ?? 429;
  return { status, text: healthText({ initialized, sealed, standby }, core.clusterInfo) };
}

/**
 * Load balancers poll health many times a second and its answer changes at most once a second
 * (`server_time_utc`), so the encoded body is kept until the second or the state changes.
 */
let lastHealth: { now: number; state: number; name?: string; id?: string; text: string } | undefined;

function healthText(
  { initialized, sealed, standby }: { initialized: boolean; sealed: boolean; standby: boolean },
  cluster: Core['clusterInfo'],
): string {
  const now = Math.floor(Date.now() / 1000);
  const shown = cluster && !sealed ? cluster : undefined;
  // Compared field by field: a key string built for every poll cost more than the comparison.
  const state = (initialized ? 4 : 0) | (sealed ? 2 : 0) | (standby ? 1 : 0);
  const last = lastHealth;
  if (last && last.now === now && last.state === state && last.name === shown?.name && last.id === shown?.id)
    return last.text;
  const body: Body = {
    initialized,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: now,
    version: VERSION,
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  if (shown) Object.assign(body, { cluster_name: shown.name, cluster_id: shown.id });
  const text = goJson(body);
  lastHealth = { now, state, name: shown?.name, id: shown?.id, text };
  return text;
}

/**
 * Without HA, Vault answers the same (ha_enabled false) sealed or not; the vault CLI relies on that.
 * A sealed HA node answers 503 `Vault is sealed` (Vault's `Leader()`), which `vault status` expects.
 */
async function leader(core: Core): Promise<Body> {
  const status = await core.leaderStatus();
  return {
    ha_enabled: status.haEnabled,
    is_self: status.isSelf,
    // Go's zero time.Time unless this node is active.
    active_time: status.activeSince ? new Date(status.activeSince).toISOString() : '0001-01-01T00:00:00Z',
    leader_address: status.leader?.apiAddr ?? '',
    leader_cluster_address: status.leader?.clusterAddr ?? '',
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
  };
}

/** Serves a raw endpoint; the caller has matched `path` against RAW_PATHS. */
export async function serveRaw(
  core: Core,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  query: Query,
  body: () => Promise<unknown>,
): Promise<void> {
  const method = req.method ?? 'GET';
  const isWrite = method === 'PUT' || method === 'POST';
  const methodNotAllowed = () => writeJson(res, 405, { errors: [] });
  switch (path) {
    case 'sys/init':
      if (method === 'GET')
        return writeJson(res, 200, { initialized: (await core.seal.status()).initialized });
      if (!isWrite) return methodNotAllowed();
      return writeJson(res, 200, await initialize(core, await objectBody(body)));
    case 'sys/seal-status':
      if (method !== 'GET') return methodNotAllowed();
      return writeJson(res, 200, await sealStatus(core));
    case 'sys/unseal':
      if (!isWrite) return methodNotAllowed();
      return writeJson(res, 200, await unseal(core, await objectBody(body)));
    case 'sys/health': {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed();
      const { status, text } = await health(core, query);
      return writeJsonText(res, status, method === 'HEAD' ? '' : text);
    }
    case 'sys/leader':
      if (method !== 'GET') return methodNotAllowed();
      return writeJson(res, 200, await leader(core));
  }
}

async function objectBody(body: () => Promise<unknown>): Promise<Body> {
  const value = await body();
  return isPlainObject(value) ? value : {};
}
