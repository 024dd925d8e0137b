/** An entity resolved for the ACL: its and its groups' policies, and the context its templates render from. */
import type { IdentityContext } from '../../policy/template.js';
import { membershipsOf } from './groups.js';
import type { EntityRecord, GroupRecord } from './records.js';

/** An entity as the ACL and token lookups see it; replaced (never changed) after any identity write. */
export interface ResolvedIdentity {
  entity: EntityRecord;
  /** The entity's and all its groups' policies, sorted; `root` never appears. */
  policies: string[];
  context: IdentityContext;
  directGroupIds: string[];
  inheritedGroupIds: string[];
}

/** Built once per entity until the next identity write. */
export function resolveIdentity(entity: EntityRecord, allGroups: Iterable<GroupRecord>): ResolvedIdentity {
  const { direct, inherited } = membershipsOf(entity.id, allGroups);
  const groups = [...direct, ...inherited];
  const names = new Set([...entity.policies, ...groups.flatMap((g) => g.policies)]);
  // Written names were refused already; this keeps a hand-edited record from granting root.
  names.delete('root');
  return {
    entity,
    policies: [...names].sort(),
    directGroupIds: direct.map((g) => g.id),
    inheritedGroupIds: inherited.map((g) => g.id),
    context: {
      entity: {
        id: entity.id,
        name: entity.name,
        metadata: entity.metadata,
        aliases: entity.aliases.map((a) => ({
          mountAccessor: a.mountAccessor,
          id: a.id,
          name: a.name,
          metadata: a.metadata,
          customMetadata: a.customMetadata,
        })),
      },
      groups: groups.map((g) => ({ id: g.id, name: g.name, metadata: g.metadata })),
    },
  };
}
