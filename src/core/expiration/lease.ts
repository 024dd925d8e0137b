/** A lease as persisted at `sys/expire/id/<lease id>`, and its wire shape for `sys/leases/lookup`. */

export interface LeaseEntry {
  leaseId: string;
  /** The request path that created it; the router finds the owning mount from it. */
  path: string;
  secretType?: string;
  internalData: Record<string, unknown>;
  /** Unix ms. */
  issueTime: number;
  expireTime: number;
  lastRenewal?: number;
  /** Hard limit from the mount's max TTL at issue time. */
  maxExpireTime: number;
  renewable: boolean;
  /** Accessor of the token that created it: revoking that token revokes the lease. */
  tokenAccessor?: string;
  /**
   * How its token's index names it (tokenIndexKey in manager.ts): 'time' for
   * `<issue time>.<hash of the lease id>`; absent for leases written before 2026-12-03, named by the hash.
   */
  tokenIndexForm?: 'time';
  revokeAttempts?: number;
  /**
   * Unix ms of the scheduled revocation retry. A lease's one due entry is at retryAt ?? dueAt ??
   * expireTime (`dueTimeOf` in manager.ts).
   */
  retryAt?: number;
  /**
   * Unix ms of its due entry when a renewal left that entry before the new expiry (it moves when it
   * fires); absent when the entry is at expireTime, as for every lease written before renewals did so.
   */
  dueAt?: number;
  irrevocable?: boolean;
  lastError?: string;
}

export function leaseToWire(lease: LeaseEntry, now: number): Record<string, unknown> {
  return {
    id: lease.leaseId,
    issue_time: new Date(lease.issueTime).toISOString(),
    expire_time: new Date(lease.expireTime).toISOString(),
    last_renewal: lease.lastRenewal ? new Date(lease.lastRenewal).toISOString() : null,
    renewable: lease.renewable,
    ttl: Math.max(0, Math.round((lease.expireTime - now) / 1000)),
  };
}
