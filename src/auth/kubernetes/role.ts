/** A Kubernetes role: which service accounts (names and namespaces, globs allowed) may log in. */
import { invalid } from '../../core/errors.js';
import { field, type Input } from '../../framework/fields.js';
import { roleStore } from '../role-store.js';
import {
  defaultTokenParams,
  type TokenParams,
  tokenFields,
  tokenParamsToWire,
  updateTokenParams,
} from '../token-fields.js';

export type AliasNameSource = 'serviceaccount_uid' | 'serviceaccount_name';

export interface KubernetesRole {
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  audience: string;
  aliasNameSource: AliasNameSource;
  token: TokenParams;
}

export const roleFields = {
  name: field.name('Name of the role.'),
  bound_service_account_names: field.stringList('Service account names that may log in; globs, "*" for any.'),
  bound_service_account_namespaces: field.stringList('Namespaces that may log in; globs, "*" for any.'),
  audience: field.string('The aud the service account token must carry.', { max: 1024 }),
  alias_name_source: field.string('Alias name: "serviceaccount_uid" (default) or "serviceaccount_name".', {
    default: 'serviceaccount_uid',
    max: 64,
  }),
  ...tokenFields,
};

export type RoleInput = Input<typeof roleFields>;

export const { loadRole, saveRole, deleteRole, listRoles } = roleStore<KubernetesRole>();

function checkBindingList(values: string[], name: string): void {
  if (values.length === 0) throw invalid(`"${name}" can not be empty`);
  if (values.length > 1 && values.includes('*')) throw invalid('can not mix "*" with values');
}

export function applyRoleInput(existing: KubernetesRole | undefined, input: RoleInput): KubernetesRole {
  const role: KubernetesRole = existing
    ? { ...existing }
    : {
        boundServiceAccountNames: [],
        boundServiceAccountNamespaces: [],
        audience: '',
        aliasNameSource: 'serviceaccount_uid',
        token: defaultTokenParams(),
      };
  role.token = updateTokenParams(role.token, input);
  if (input.bound_service_account_names !== undefined)
    role.boundServiceAccountNames = input.bound_service_account_names;
  if (input.bound_service_account_namespaces !== undefined)
    role.boundServiceAccountNamespaces = input.bound_service_account_namespaces;
  if (input.audience !== undefined) role.audience = input.audience;
  if (input.alias_name_source !== undefined) {
    if (
      input.alias_name_source !== 'serviceaccount_uid' &&
      input.alias_name_source !== 'serviceaccount_name'
    ) {
      throw invalid(`invalid alias_name_source "${input.alias_name_source}"`);
    }
    role.aliasNameSource = input.alias_name_source;
  }
  checkBindingList(role.boundServiceAccountNames, 'bound_service_account_names');
  checkBindingList(role.boundServiceAccountNamespaces, 'bound_service_account_namespaces');
  return role;
}

export function roleToWire(role: KubernetesRole): Record<string, unknown> {
  return {
    bound_service_account_names: role.boundServiceAccountNames,
    bound_service_account_namespaces: role.boundServiceAccountNamespaces,
    audience: role.audience,
    alias_name_source: role.aliasNameSource,
    ...tokenParamsToWire(role.token),
  };
}
