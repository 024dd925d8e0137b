/** `sys/` helpers: seal lifecycle, mounts, policies, audit devices, capabilities and leases. */
import type { VaultClient } from './client.js';
import { isRecord, parseSecret, type Secret } from './secret.js';

export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  nonce: string;
  version: string;
  build_date?: string;
  migration: boolean;
  cluster_name?: string;
  cluster_id?: string;
  recovery_seal: boolean;
  storage_type?: string;
  [extra: string]: unknown;
}

export interface InitRequest {
  secret_shares?: number;
  secret_threshold?: number;
  /** Auto seals only. */
  recovery_shares?: number;
  recovery_threshold?: number;
  pgp_keys?: string[];
  root_token_pgp_key?: string;
}

export interface InitResponse {
  keys: string[];
  keys_base64: string[];
  recovery_keys?: string[];
  recovery_keys_base64?: string[];
  root_token: string;
}

export interface MountConfigInput {
  default_lease_ttl?: string;
  max_lease_ttl?: string;
  force_no_cache?: boolean;
  description?: string;
  options?: Record<string, string> | null;
  audit_non_hmac_request_keys?: string[];
  audit_non_hmac_response_keys?: string[];
  listing_visibility?: string;
  passthrough_request_headers?: string[];
  allowed_response_headers?: string[];
  token_type?: string;
  plugin_version?: string;
  /** auth tune: lockout_threshold, lockout_duration, lockout_counter_reset_duration, lockout_disable. */
  user_lockout_config?: Record<string, unknown>;
}

export interface MountInput {
  type: string;
  description: string;
  config: MountConfigInput;
  local: boolean;
  seal_wrap: boolean;
  external_entropy_access: boolean;
  options: Record<string, string> | null;
}

export type MountTable = Record<string, Record<string, unknown>>;

/** Data of an envelope, or the top-level copy older routes also carry. */
function dataOf(body: unknown): Record<string, unknown> {
  const secret = parseSecret(body);
  return secret?.data ?? {};
}

function mountTable(body: unknown): MountTable {
  const table: MountTable = {};
  for (const [path, entry] of Object.entries(dataOf(body))) if (isRecord(entry)) table[path] = entry;
  return table;
}

const trim = (path: string) => path.replace(/^\/+|\/+$/g, '');

export class SysApi {
  constructor(private readonly client: VaultClient) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.client.request({ method, path, body })).body;
  }

  async sealStatus(): Promise<SealStatus> {
    return (await this.call('GET', 'sys/seal-status')) as SealStatus;
  }

  async initStatus(): Promise<boolean> {
    const body = await this.call('GET', 'sys/init');
    return isRecord(body) && body.initialized === true;
  }

  async init(request: InitRequest): Promise<InitResponse> {
    return (await this.call('PUT', 'sys/init', request)) as InitResponse;
  }

  async unseal(key: string, migrate = false): Promise<SealStatus> {
    return (await this.call('PUT', 'sys/unseal', { key, reset: false, migrate })) as SealStatus;
  }

  async resetUnseal(): Promise<SealStatus> {
    return (await this.call('PUT', 'sys/unseal', { reset: true })) as SealStatus;
  }

  async seal(): Promise<void> {
    await this.call('PUT', 'sys/seal');
  }

  /** Health codes are data, not errors: every documented status is answered. */
  async health(query?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.client.request({
      method: 'GET',
      path: 'sys/health',
      query,
      accept: [429, 472, 473, 501, 503],
    });
    return { status: response.status, body: isRecord(response.body) ? response.body : {} };
  }

  async leader(): Promise<Record<string, unknown>> {
    const body = await this.call('GET', 'sys/leader');
    return isRecord(body) ? body : {};
  }

  async rotate(): Promise<void> {
    await this.call('PUT', 'sys/rotate');
  }

  async keyStatus(): Promise<Record<string, unknown>> {
    return dataOf(await this.call('GET', 'sys/key-status'));
  }

  async listMounts(): Promise<MountTable> {
    return mountTable(await this.call('GET', 'sys/mounts'));
  }

  async mount(path: string, input: MountInput): Promise<void> {
    await this.call('POST', `sys/mounts/${trim(path)}`, input);
  }

  async unmount(path: string): Promise<void> {
    await this.call('DELETE', `sys/mounts/${trim(path)}`);
  }

  async tuneMount(path: string, config: MountConfigInput): Promise<void> {
    await this.call('POST', `sys/mounts/${trim(path)}/tune`, config);
  }

  /** Starts a move; answers the migration id to poll with `remountStatus`. */
  async remount(from: string, to: string): Promise<string> {
    return String(dataOf(await this.call('POST', 'sys/remount', { from, to })).migration_id ?? '');
  }

  async remountStatus(id: string): Promise<Record<string, unknown>> {
    return dataOf(await this.call('GET', `sys/remount/status/${id}`));
  }

  async listAuth(): Promise<MountTable> {
    return mountTable(await this.call('GET', 'sys/auth'));
  }

  async enableAuth(path: string, input: MountInput): Promise<void> {
    await this.call('POST', `sys/auth/${trim(path)}`, input);
  }

  async disableAuth(path: string): Promise<void> {
    await this.call('DELETE', `sys/auth/${trim(path)}`);
  }

  async tuneAuth(path: string, config: MountConfigInput): Promise<void> {
    await this.call('POST', `sys/auth/${trim(path)}/tune`, config);
  }

  async listPolicies(): Promise<string[]> {
    const keys = dataOf(await this.call('LIST', 'sys/policies/acl')).keys;
    return Array.isArray(keys) ? keys.map(String) : [];
  }

  /** The policy text, or undefined when there is no such policy. */
  async readPolicy(name: string): Promise<string | undefined> {
    const response = await this.client.request({
      method: 'GET',
      path: `sys/policies/acl/${name}`,
      accept: [404],
    });
    if (response.status === 404) return undefined;
    const policy = dataOf(response.body).policy;
    return typeof policy === 'string' ? policy : undefined;
  }

  async putPolicy(name: string, policy: string): Promise<void> {
    await this.call('PUT', `sys/policies/acl/${name}`, { policy });
  }

  async deletePolicy(name: string): Promise<void> {
    await this.call('DELETE', `sys/policies/acl/${name}`);
  }

  async listAudit(): Promise<MountTable> {
    return mountTable(await this.call('GET', 'sys/audit'));
  }

  async enableAudit(
    path: string,
    input: { type: string; description: string; options: Record<string, string>; local: boolean },
  ): Promise<void> {
    await this.call('PUT', `sys/audit/${trim(path)}`, input);
  }

  async disableAudit(path: string): Promise<void> {
    await this.call('DELETE', `sys/audit/${trim(path)}`);
  }

  /** Capabilities on one path: of `token`, of the caller (`token` undefined), or of an accessor. */
  async capabilities(path: string, who: { token?: string; accessor?: string } = {}): Promise<string[]> {
    const [route, body] = who.accessor
      ? ['sys/capabilities-accessor', { accessor: who.accessor, paths: [path] }]
      : who.token
        ? ['sys/capabilities', { token: who.token, paths: [path] }]
        : ['sys/capabilities-self', { paths: [path] }];
    const data = dataOf(await this.call('POST', route, body));
    const list = data[path] ?? data.capabilities;
    return Array.isArray(list) ? list.map(String) : [];
  }

  async leaseLookup(leaseId: string): Promise<Secret | undefined> {
    return parseSecret(await this.call('PUT', 'sys/leases/lookup', { lease_id: leaseId }));
  }

  async leaseRenew(leaseId: string, increment: number): Promise<Secret | undefined> {
    return parseSecret(await this.call('PUT', 'sys/leases/renew', { lease_id: leaseId, increment }));
  }

  async leaseRevoke(leaseId: string, sync: boolean): Promise<void> {
    await this.call('PUT', 'sys/leases/revoke', { lease_id: leaseId, sync });
  }

  async leaseRevokePrefix(prefix: string, sync: boolean): Promise<void> {
    await this.call('PUT', `sys/leases/revoke-prefix/${prefix.replace(/^\/+/, '')}`, { sync });
  }

  async leaseRevokeForce(prefix: string): Promise<void> {
    await this.call('PUT', `sys/leases/revoke-force/${prefix.replace(/^\/+/, '')}`);
  }
}
