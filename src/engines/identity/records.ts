/** What the identity store keeps: entities with their aliases, and groups. Times are Unix ms. */

export interface AliasRecord {
  id: string;
  /** The entity the alias belongs to (Vault's canonical_id). */
  canonicalId: string;
  mountAccessor: string;
  name: string;
  /** Set by the auth method at each login. */
  metadata: Record<string, string>;
  /** Set by operators through `entity-alias`. */
  customMetadata: Record<string, string>;
  creationTime: number;
  lastUpdateTime: number;
}

export interface EntityRecord {
  id: string;
  name: string;
  policies: string[];
  metadata: Record<string, string>;
  /** Tokens of a disabled entity are refused (not revoked), as Vault does. */
  disabled: boolean;
  aliases: AliasRecord[];
  /** Entities merged into this one (`entity/merge`). */
  mergedEntityIds?: string[];
  creationTime: number;
  lastUpdateTime: number;
}

export type GroupType = 'internal' | 'external';

/** An external group's link to a group name on one auth mount. */
export interface GroupAliasRecord {
  id: string;
  name: string;
  mountAccessor: string;
  creationTime: number;
  lastUpdateTime: number;
}

export interface GroupRecord {
  id: string;
  name: string;
  type: GroupType;
  policies: string[];
  metadata: Record<string, string>;
  memberEntityIds: string[];
  /** Groups whose members are members of this one too. */
  memberGroupIds: string[];
  /** External groups only: the auth-mount group whose members become this group's. */
  alias?: GroupAliasRecord;
  creationTime: number;
  lastUpdateTime: number;
  modifyIndex: number;
}

/** The auth mount an alias names, as the mount table knows it. */
export interface AuthMountInfo {
  path: string;
  type: string;
  local: boolean;
}
