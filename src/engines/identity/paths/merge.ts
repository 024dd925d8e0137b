/**
 * `entity/merge`: folds entities into one. Aliases move to the target; two aliases on one auth mount
 * are refused unless the operator names the one to keep, and the sources' policies are never copied
 * (Vault's API merge passes mergePolicies=false): a merge cannot hand the target another user's
 * policies (CVE-2021-41802).
 */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import type { AliasRecord, EntityRecord } from '../records.js';
import type { IdentityStore } from '../store.js';

const mergeFields = {
  to_entity_id: field.string('ID of the entity the others are merged into.', { max: 128 }),
  from_entity_ids: field.stringList('IDs of the entities to merge (they are deleted).'),
  conflicting_alias_ids_to_keep: field.stringList('For two aliases on one mount, the ID of the one to keep.'),
  force: field.bool('Accepted for compatibility (MFA secrets, which Coffer does not keep).'),
};

type MergeInput = Input<typeof mergeFields>;

/** The aliases the target ends with; throws Vault's text for a conflict the operator did not settle. */
function mergedAliases(
  target: EntityRecord,
  sources: EntityRecord[],
  keep: readonly string[],
): AliasRecord[] {
  const aliases = [...target.aliases];
  for (const source of sources) {
    for (const alias of source.aliases) {
      const clash = aliases.find((a) => a.mountAccessor === alias.mountAccessor);
      if (clash && keep.includes(clash.id)) continue; // the source's alias is dropped
      if (clash && !keep.includes(alias.id))
        throw invalid(
          `conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ${alias.id}, ${clash.id}`,
        );
      if (clash) aliases.splice(aliases.indexOf(clash), 1);
      aliases.push({ ...alias, canonicalId: target.id });
    }
  }
  return aliases;
}

async function mergeEntities(store: IdentityStore, input: MergeInput): Promise<void> {
  if (!input.to_entity_id) throw invalid('missing entity id to merge to');
  const fromIds = [...new Set(input.from_entity_ids ?? [])];
  if (fromIds.length === 0) throw invalid('missing entity ids to merge from');
  await store.exclusive(async () => {
    const target = store.entity(input.to_entity_id!);
    if (!target) throw invalid('entity id to merge to is invalid');
    const sources = fromIds.map((id) => {
      if (id === target.id) throw invalid('to_entity_id should not be present in from_entity_ids');
      const source = store.entity(id);
      if (!source) throw invalid('entity id to merge from is invalid');
      return source;
    });
    const aliases = mergedAliases(target, sources, input.conflicting_alias_ids_to_keep ?? []);
    // The target takes the sources' places in their groups (their policies come with the membership,
    // as in Vault). Sources, target and groups are written in one transaction: a failed write loses
    // no alias and leaves memory as storage is.
    const putGroups = store
      .groups()
      .filter((g) => fromIds.some((id) => g.memberEntityIds.includes(id)))
      .map((group) => {
        const members = group.memberEntityIds.filter((m) => !fromIds.includes(m));
        if (!members.includes(target.id)) members.push(target.id);
        return { ...group, memberEntityIds: members };
      });
    await store.commit({
      deleteEntityIds: sources.map((s) => s.id),
      putEntities: [
        {
          ...target,
          aliases,
          mergedEntityIds: [
            ...(target.mergedEntityIds ?? []),
            ...sources.flatMap((s) => [...(s.mergedEntityIds ?? []), s.id]),
          ],
          lastUpdateTime: store.clock.now(),
        },
      ],
      putGroups,
    });
  });
}

export function mergePaths(store: IdentityStore) {
  return [
    definePath({
      pattern: 'entity/merge',
      fields: mergeFields,
      operations: { update: (_ctx, input) => mergeEntities(store, input) },
      help: 'Merge entities into one; their aliases move to it, their policies do not.',
    }),
  ];
}
