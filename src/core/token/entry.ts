/** The token entry as stored, and its two wire shapes: the `auth` block and the lookup `data`. */

export interface TokenEntry {
  /**
   * The token's name in storage, never the token itself: its salted hash, after the token's 7
   * characters of creation time for tokens made since 2026-12-03 (tokenName in store.ts).
   */
  idHash: string;
  accessor: string;
  /**
   * How the accessor index names it (accessorKeys in store.ts): 'time' for
   * `accessor/<the accessor's 7 time characters>.<hash>`; absent for tokens made before 2026-12-03.
   */
  accessorIndexForm?: 'time';
  parentHash?: string;
  /**
   * How its parent's index names it (see childIndexName in store.ts): 'time' for
   * `<creation time>.<idHash>`; absent for entries written before 2026-12-03, named by their hash.
   */
  parentIndexForm?: 'time';
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  path: string;
  /** Remaining uses; 0 = unlimited. */
  numUses: number;
  /** Unix ms. */
  creationTime: number;
  creationTtl: number;
  explicitMaxTtl: number;
  /**
   * Seconds from creation that renewals may not pass: the max TTL of the mount, role or user that made
   * the token, as it was then. Entries written before it existed use the token mount's.
   */
  maxTtl?: number;
  period: number;
  /** Unix ms; undefined = never expires. */
  expireTime?: number;
  renewable: boolean;
  type: 'service' | 'batch';
  orphan: boolean;
  boundCidrs?: string[];
  role?: string;
  /** What the auth method that minted it needs to judge a renewal (its role's name); never sent. */
  internalData?: Record<string, unknown>;
  entityId: string;
  lastRenewal?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function ttlLeft(entry: TokenEntry, now: number): number {
  return entry.expireTime === undefined ? 0 : Math.max(0, Math.round((entry.expireTime - now) / 1000));
}

/** API.md 4.2: the `auth` block of a login or token creation (withIdentityPolicies adds an entity's). */
export function authBlock(token: string, entry: TokenEntry, now: number): Record<string, unknown> {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: [...entry.policies].sort(),
    token_policies: [...entry.policies].sort(),
    metadata: entry.meta && Object.keys(entry.meta).length ? entry.meta : null,
    lease_duration: ttlLeft(entry, now),
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: entry.type,
    orphan: entry.orphan,
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}

/** A token's own policies and its entity's, as `policies` shows them: deduplicated and sorted. */
export function withIdentity(own: readonly string[], identityPolicies: readonly string[]): string[] {
  return [...new Set([...own, ...identityPolicies])].sort();
}

/** An `auth` block (authBlock's) with its entity's identity policies added, as a login's has them. */
export function withIdentityPolicies(
  wire: Record<string, unknown>,
  identityPolicies: readonly string[],
): Record<string, unknown> {
  if (!identityPolicies.length) return wire;
  const own = (wire.token_policies as string[] | undefined) ?? [];
  return {
    ...wire,
    policies: withIdentity(own, identityPolicies),
    identity_policies: [...identityPolicies],
  };
}

/** API.md 4.4: the `data` of a token lookup (`id` empty when looked up by accessor). */
export function lookupData(
  id: string,
  entry: TokenEntry,
  now: number,
  identityPolicies: readonly string[] = [],
): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.creationTime / 1000),
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === undefined ? null : iso(entry.expireTime),
    explicit_max_ttl: entry.explicitMaxTtl,
    id,
    meta: entry.meta && Object.keys(entry.meta).length ? entry.meta : null,
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    ttl: ttlLeft(entry, now),
    type: entry.type,
  };
  if (entry.expireTime !== undefined) {
    data.issue_time = iso(entry.creationTime);
    data.renewable = entry.renewable;
  }
  if (identityPolicies.length) data.identity_policies = [...identityPolicies];
  if (entry.period) data.period = entry.period;
  if (entry.role) data.role = entry.role;
  if (entry.boundCidrs?.length) data.bound_cidrs = entry.boundCidrs;
  if (entry.lastRenewal) {
    data.last_renewal_time = Math.floor(entry.lastRenewal / 1000);
    data.last_renewal = iso(entry.lastRenewal);
  }
  return data;
}
