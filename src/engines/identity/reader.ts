/** What the identity OIDC token provider (oidc/) reads of the identity store: memory only, no storage. */

export interface EntityView {
  id: string;
  name: string;
  metadata: Record<string, string>;
  /** Direct and inherited groups. */
  groupIds: string[];
  disabled: boolean;
}

export interface GroupView {
  id: string;
  name: string;
  metadata: Record<string, string>;
}

export interface IdentityReader {
  entityById(id: string): EntityView | undefined;
  /** Direct and inherited groups of the entity; empty when there is no such entity. */
  groupsOfEntity(id: string): GroupView[];
}
