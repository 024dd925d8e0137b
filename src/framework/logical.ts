/** The logical request and response that flow between core/ and a mount's backend; no HTTP in here. */

export type Operation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list';

export const OPERATIONS: readonly Operation[] = ['create', 'read', 'update', 'patch', 'delete', 'list'];

/** What a backend may know about the caller: never the token itself except for cubbyhole-style scoping. */
export interface Caller {
  /** The raw client token. Only the token store and cubbyhole read it, as in Vault (`req.ClientToken`). */
  clientToken?: string;
  accessor?: string;
  /** The caller holds the root policy, or `sudo` on this request's path (set by core from the ACL). */
  hasSudo?: boolean;
  entityId?: string;
  displayName?: string;
  policies?: string[];
  metadata?: Record<string, string>;
}

export interface LogicalRequest {
  id: string;
  operation: Operation;
  /** Path relative to the mount, no leading slash; list paths end in `/` (or are empty). */
  path: string;
  data: Record<string, unknown>;
  mountPoint: string;
  clientAddr?: string;
  caller?: Caller;
  /**
   * On an unauthenticated path: the request carried a token that is not valid (expired, revoked, or
   * bound elsewhere). Most such paths ignore it; a few answer 403, as Vault does (`sys/internal/ui`).
   */
  staleToken?: boolean;
  headers?: Record<string, string>;
}

export interface SecretLease {
  /** Which of the engine's `secrets` types renews and revokes it; defaults to the first declared. */
  type?: string;
  ttlSeconds: number;
  maxTtlSeconds?: number;
  renewable: boolean;
  /** Kept with the lease and handed back to the engine's renew/revoke handlers; never sent to clients. */
  internalData?: Record<string, unknown>;
}

export interface AuthResult {
  policies: string[];
  tokenPolicies?: string[];
  metadata?: Record<string, string>;
  displayName?: string;
  ttlSeconds?: number;
  maxTtlSeconds?: number;
  explicitMaxTtlSeconds?: number;
  periodSeconds?: number;
  numUses?: number;
  renewable?: boolean;
  tokenType?: 'service' | 'batch' | 'default';
  boundCidrs?: string[];
  noDefaultPolicy?: boolean;
  alias?: { name: string; metadata?: Record<string, string> };
  /** Names of the groups the auth method found (JWT's groups claim): external groups' aliases on this mount. */
  groupAliases?: string[];
  internalData?: Record<string, unknown>;
  /** A token the token store already minted: sent as the envelope's `auth` exactly as given. */
  wire?: Record<string, unknown>;
  /**
   * `wire` is a token this request made (token create), not one the client already holds (a renewal,
   * an unwrap): only such a token is revoked when its answer cannot be delivered.
   */
  created?: boolean;
}

export interface LogicalResponse {
  data?: Record<string, unknown>;
  secret?: SecretLease;
  auth?: AuthResult;
  warnings?: string[];
  /** A response that is already wrapped (`sys/wrapping/rewrap`): sent as the envelope's `wrap_info`. */
  wrapInfo?: Record<string, unknown>;
  /** An existing lease this response reports on (`sys/leases/renew`): fills the envelope's lease fields. */
  lease?: { leaseId: string; ttlSeconds: number; renewable: boolean };
  /**
   * A response that dictates its own status; the body is still the envelope (Vault's raw responses,
   * e.g. KV v2 answering 404 with the metadata of a deleted version).
   */
  httpStatus?: number;
  /**
   * A body sent as is instead of the envelope, with its own content type (Vault's HTTPRawBody: PKI's
   * `ca/pem`, `crl`). Status 200 unless `httpStatus` says otherwise.
   */
  raw?: {
    contentType: string;
    body: Uint8Array | string;
    /** Vault's HTTPCacheControlHeader (public OIDC documents); `no-store` when absent. */
    cacheControl?: string;
  };
}
