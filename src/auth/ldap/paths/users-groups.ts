/**
 * `groups/*name` and `users/*name` (with LIST at `groups/` and `users/`): the policies a directory
 * group or user brings to a login, and extra groups for a user. Names are stored lower-cased unless
 * `case_sensitive_names`, so they match however the directory spells them.
 */
import { field, type Input } from '../../../framework/fields.js';
import type { MaybePromise } from '../../../framework/maybe-promise.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import type { StorageView } from '../../../framework/storage-view.js';
import { canonicalName, defaultConfig, loadConfig } from '../config.js';

export interface GroupEntry {
  policies: string[];
}
export interface UserEntry {
  policies: string[];
  groups: string[];
}

/** Vault's policyutil.ParsePolicies: trimmed, lower-cased, no empties or duplicates, sorted. */
export function parsePolicies(policies: readonly string[]): string[] {
  return [...new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort();
}

/** A name that can be a stored entry: not empty, not a folder (a directory group named `a/`). */
const isKeyName = (name: string) => name !== '' && !name.endsWith('/');

/** Names may contain `/`, as Vault's `groups/(?P<name>.+)` and `users/(?P<name>.+)` allow. */
export function loadGroup(storage: StorageView, name: string): MaybePromise<GroupEntry | undefined> {
  return isKeyName(name) ? storage.getJson<GroupEntry>(`group/${name}`) : undefined;
}

export function loadUser(storage: StorageView, name: string): MaybePromise<UserEntry | undefined> {
  return isKeyName(name) ? storage.getJson<UserEntry>(`user/${name}`) : undefined;
}

/** Every key under `folder`, at any depth, relative to it (Vault's CollectKeysWithPrefix): `a/b` too. */
async function listAll(storage: StorageView, folder: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (prefix: string): Promise<void> => {
    for (const child of await storage.list(folder + prefix)) {
      if (child.endsWith('/')) await walk(prefix + child);
      else keys.push(prefix + child);
    }
  };
  await walk('');
  return keys;
}

async function keyOf(ctx: EngineContext, name: string | undefined): Promise<string> {
  const config = (await loadConfig(ctx.storage)) ?? defaultConfig();
  return canonicalName(config, name ?? '');
}

// Not field.name: a name may contain `/`.
const groupFields = {
  name: field.string('Name of the LDAP group.', { max: 512 }),
  policies: field.stringList('Policies of the group; a list or "a,b".'),
};
const userFields = {
  name: field.string('Name of the LDAP user.', { max: 512 }),
  policies: field.stringList('Policies of the user; a list or "a,b".'),
  groups: field.stringList('Extra groups of the user, whose policies it gets too; a list or "a,b".'),
};

async function writeUser(ctx: EngineContext, input: Input<typeof userFields>) {
  const config = (await loadConfig(ctx.storage)) ?? defaultConfig();
  const groups = [...new Set((input.groups ?? []).map((g) => canonicalName(config, g)).filter((g) => g))];
  const entry: UserEntry = { policies: parsePolicies(input.policies ?? []), groups };
  await ctx.storage.putJson(`user/${canonicalName(config, input.name ?? '')}`, entry);
}

export const userGroupPaths = [
  definePath({
    pattern: 'groups/',
    operations: { list: async (ctx) => ({ data: { keys: await listAll(ctx.storage, 'group/') } }) },
    help: 'List the LDAP groups that have policies here.',
  }),
  definePath({
    pattern: 'groups/*name',
    keyOnly: true,
    fields: groupFields,
    exists: async (ctx, input) => ctx.storage.has(`group/${await keyOf(ctx, input.name)}`),
    operations: {
      async read(ctx, input) {
        const group = await loadGroup(ctx.storage, await keyOf(ctx, input.name));
        return group && { data: { policies: group.policies } };
      },
      async update(ctx, input) {
        const entry: GroupEntry = { policies: parsePolicies(input.policies ?? []) };
        await ctx.storage.putJson(`group/${await keyOf(ctx, input.name)}`, entry);
      },
      async delete(ctx, input) {
        await ctx.storage.delete(`group/${await keyOf(ctx, input.name)}`);
      },
    },
    help: 'Create, read, update or delete the policies of an LDAP group.',
  }),
  definePath({
    pattern: 'users/',
    operations: { list: async (ctx) => ({ data: { keys: await listAll(ctx.storage, 'user/') } }) },
    help: 'List the LDAP users that have policies or groups here.',
  }),
  definePath({
    pattern: 'users/*name',
    keyOnly: true,
    fields: userFields,
    exists: async (ctx, input) => ctx.storage.has(`user/${await keyOf(ctx, input.name)}`),
    operations: {
      async read(ctx, input) {
        const user = await loadUser(ctx.storage, await keyOf(ctx, input.name));
        // Vault answers the groups as one comma-separated string.
        return user && { data: { policies: user.policies, groups: user.groups.join(',') } };
      },
      update: writeUser,
      async delete(ctx, input) {
        await ctx.storage.delete(`user/${await keyOf(ctx, input.name)}`);
      },
    },
    help: 'Create, read, update or delete the policies and extra groups of an LDAP user.',
  }),
];
