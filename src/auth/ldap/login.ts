/**
 * One LDAP login, shared by `login/:username` and the renewal of its tokens: the directory
 * authenticates the user and names their groups; this mount's `users/` and `groups/` turn the user
 * and those groups into policies.
 */
import { invalid } from '../../core/errors.js';
import type { StorageView } from '../../framework/storage-view.js';
import { canonicalName, type LdapConfig } from './config.js';
import { authenticate } from './directory.js';
import { loadGroup, loadUser, parsePolicies } from './paths/users-groups.js';

export const NULL_BIND_DENIED = 'password cannot be of zero length when passwordless binds are being denied';

export interface LoginOutcome {
  /** Policies from the user's entry and from every group (directory and local), without the config's. */
  policies: string[];
  /** Every group name, local ones first, as the directory or the user entry spells them. */
  groups: string[];
  /** How many groups the directory named (Vault's warning is about these alone). */
  directoryGroups: number;
  aliasName: string;
}

export async function loginWithDirectory(
  storage: StorageView,
  config: LdapConfig,
  username: string,
  password: string,
): Promise<LoginOutcome> {
  // deny_null_bind: an empty password would be an unauthenticated bind, which many servers accept.
  if (config.denyNullBind && password === '') throw invalid(NULL_BIND_DENIED);
  const found = await authenticate(config, username, password);
  const user = await loadUser(storage, canonicalName(config, username));
  const groups = [...(user?.groups ?? []), ...found.groups];
  const policies = [...(user?.policies ?? [])];
  for (const name of new Set(groups.map((group) => canonicalName(config, group)))) {
    policies.push(...((await loadGroup(storage, name))?.policies ?? []));
  }
  return {
    policies: parsePolicies(policies),
    groups,
    directoryGroups: found.groups.length,
    aliasName: found.aliasName,
  };
}

/** Policies compared as Vault's EquivalentPolicies does: as sets, `default` ignored. */
export function samePolicies(a: readonly string[], b: readonly string[]): boolean {
  const strip = (list: readonly string[]) => parsePolicies(list).filter((p) => p !== 'default');
  const [x, y] = [strip(a), strip(b)];
  return x.length === y.length && x.every((p, i) => p === y[i]);
}
