/** Group membership: which groups an entity is in, directly or through nested groups, and cycle checks. */
import type { GroupRecord } from './records.js';

export interface Memberships {
  direct: GroupRecord[];
  /** Groups reached through member_group_ids, each once, none of the direct ones. */
  inherited: GroupRecord[];
}

/**
 * The groups an entity belongs to. A group G with C in its member_group_ids passes its policies to C's
 * members, so the walk goes from each direct group up to the groups that list it. A cycle that made it
 * into storage ends the walk instead of looping.
 */
export function membershipsOf(entityId: string, groups: Iterable<GroupRecord>): Memberships {
  const all = [...groups];
  const parents = new Map<string, GroupRecord[]>();
  for (const group of all) {
    for (const member of group.memberGroupIds) {
      const list = parents.get(member) ?? [];
      list.push(group);
      parents.set(member, list);
    }
  }
  const direct = all.filter((g) => g.memberEntityIds.includes(entityId));
  const seen = new Set(direct.map((g) => g.id));
  const inherited: GroupRecord[] = [];
  const queue = [...direct];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const parent of parents.get(next.id) ?? []) {
      if (seen.has(parent.id)) continue;
      seen.add(parent.id);
      inherited.push(parent);
      queue.push(parent);
    }
  }
  return { direct, inherited };
}

/**
 * The first of `memberIds` that would close a cycle if made a member of `groupId`: the group itself, or
 * a group that already contains `groupId` somewhere below it. Undefined when none would.
 */
export function cyclicMember(
  groupId: string,
  memberIds: readonly string[],
  byId: ReadonlyMap<string, GroupRecord>,
): string | undefined {
  const contains = (from: string, seen: Set<string>): boolean => {
    if (from === groupId) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (byId.get(from)?.memberGroupIds ?? []).some((child) => contains(child, seen));
  };
  return memberIds.find((member) => contains(member, new Set()));
}
