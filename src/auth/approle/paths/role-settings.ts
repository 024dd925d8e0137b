/**
 * `role/:role_name/<setting>`: Vault's one-setting endpoints. Each reads one role setting, updates it
 * through the full role write's checks, and puts its default back on DELETE. One table, one set of
 * handlers.
 */
import { invalid, notFound } from '../../../core/errors.js';
import { formatGoDuration } from '../../../framework/duration.js';
import type { Fields } from '../../../framework/fields.js';
import type { KeyedMutex } from '../../../framework/keyed-mutex.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { ttlAboveMax } from '../../token-fields.js';
import { loadRole, type RoleEntry, saveRole } from '../roles.js';
import {
  applyRoleInput,
  type RoleInput,
  roleFields,
  roleNameField,
  roleToWire,
  serialiseRoleWrites,
} from './role.js';

type SettingName = Exclude<keyof typeof roleFields, 'role_name'>;
type Change = Partial<RoleInput>;

interface RoleSetting {
  segment: string;
  /** The body field an update takes, and the key a read answers with. */
  name: SettingName;
  /**
   * Its deprecated second name: also taken by an update (`name` wins when both are sent, as in Vault)
   * and shown by a read when the setting has a value. Vault shows it only for roles written with it;
   * Coffer does not record which name a role was written with.
   */
  alias?: SettingName;
  /** Vault's refusal of an update that sends no value; without one, such an update changes nothing. */
  missing?: string;
  /** Vault's refusal, specific to this endpoint, of the value sent; checked before the full write's checks. */
  refuse?(input: Change, role: RoleEntry, ctx: EngineContext): string | undefined;
  /** The read's data, when it is not simply `name` from the role as the full read shows it. */
  read?(wire: Record<string, unknown>): Record<string, unknown>;
  readWarning?: string;
  readOnly?: boolean;
  /** DELETE answers 204 and changes nothing (the setting it names no longer exists in storage). */
  keepOnDelete?: boolean;
  help: string;
}

const SETTINGS: RoleSetting[] = [
  {
    segment: 'policies',
    name: 'token_policies',
    alias: 'policies',
    missing: 'missing token_policies',
    help: 'Read, set or clear the policies of the tokens the role issues.',
  },
  {
    segment: 'secret-id-num-uses',
    name: 'secret_id_num_uses',
    missing: 'missing secret_id_num_uses',
    help: "Read, set or reset (to 0, unlimited) the logins each of the role's secret IDs allows.",
  },
  {
    segment: 'secret-id-ttl',
    name: 'secret_id_ttl',
    missing: 'missing secret_id_ttl',
    help: "Read, set or reset (to 0, no expiry) the lifetime of the role's secret IDs.",
  },
  {
    segment: 'token-num-uses',
    name: 'token_num_uses',
    missing: 'missing token_num_uses',
    help: 'Read, set or reset (to 0, unlimited) the uses of the tokens the role issues.',
  },
  {
    segment: 'token-ttl',
    name: 'token_ttl',
    missing: 'missing token_ttl',
    refuse: (input, role) =>
      ttlAboveMax({ tokenTtl: input.token_ttl!, tokenMaxTtl: role.token.tokenMaxTtl })
        ? 'token_ttl should not be greater than token_max_ttl'
        : undefined,
    help: 'Read, set or reset (to 0, the mount default) the TTL of the tokens the role issues.',
  },
  {
    segment: 'token-max-ttl',
    name: 'token_max_ttl',
    missing: 'missing token_max_ttl',
    refuse: (input, role) =>
      ttlAboveMax({ tokenTtl: role.token.tokenTtl, tokenMaxTtl: input.token_max_ttl! })
        ? 'token_max_ttl should be greater than or equal to token_ttl'
        : undefined,
    help: 'Read, set or reset (to 0, the mount maximum) the maximum TTL of the tokens the role issues.',
  },
  {
    segment: 'period',
    name: 'token_period',
    alias: 'period',
    missing: 'missing period',
    refuse: refuseLongPeriod,
    help: 'Read, set or clear the period that makes the tokens the role issues periodic.',
  },
  {
    segment: 'bind-secret-id',
    name: 'bind_secret_id',
    missing: 'missing bind_secret_id',
    help: 'Read, set or reset (to true) whether a login with the role needs a secret ID.',
  },
  {
    segment: 'secret-id-bound-cidrs',
    name: 'secret_id_bound_cidrs',
    refuse: refuseNoCidrs('secret_id_bound_cidrs'),
    help: 'Read, set or clear the CIDRs a login with the role may come from.',
  },
  {
    segment: 'token-bound-cidrs',
    name: 'token_bound_cidrs',
    help: 'Read, set or clear the CIDRs the tokens the role issues may be used from.',
  },
  {
    // Deprecated. As in Vault: an update sets secret_id_bound_cidrs; the read shows the legacy field,
    // which Vault's role upgrade always empties, so null; and a delete clears only that legacy field,
    // so nothing: a caller used to Vault must not lift a login restriction by deleting it here.
    segment: 'bound-cidr-list',
    name: 'bound_cidr_list',
    refuse: refuseNoCidrs('bound_cidr_list'),
    read: () => ({ bound_cidr_list: null }),
    keepOnDelete: true,
    readWarning:
      'The "bound_cidr_list" field is deprecated and will be removed. Please use "secret_id_bound_cidrs" instead.',
    help: 'Deprecated alias of secret-id-bound-cidrs.',
  },
  {
    segment: 'local-secret-ids',
    name: 'local_secret_ids',
    readOnly: true,
    help: "Read whether the role's secret IDs are local to this cluster (fixed at creation).",
  },
];

/** Vault refuses a period above the mount's max lease TTL on this endpoint (the full write does not). */
function refuseLongPeriod(input: Change, _role: RoleEntry, ctx: EngineContext): string | undefined {
  const period = input.token_period ?? input.period!;
  const max = ctx.system.maxLeaseTtl();
  if (period <= max) return undefined;
  // Vault prints the deprecated period, which an update sending only token_period leaves at 0.
  const shown = input.period === undefined ? 0 : period;
  return `period of "${formatGoDuration(shown)}" is greater than the backend's maximum lease TTL of "${formatGoDuration(max)}"`;
}

/** An empty list is refused; clearing the list is what DELETE is for. */
function refuseNoCidrs(name: 'secret_id_bound_cidrs' | 'bound_cidr_list') {
  return (input: Change) => (input[name]!.length === 0 ? 'missing bound_cidr_list' : undefined);
}

/** The value DELETE puts back: the field's default, else the zero of its kind (Vault's GetDefaultOrZero). */
function defaultOf(name: SettingName): unknown {
  const declared = roleFields[name];
  if (declared.default !== undefined) return declared.default;
  return declared.kind === 'stringList' ? [] : declared.kind === 'bool' ? false : 0;
}

function readSetting(setting: RoleSetting, role: RoleEntry): LogicalResponse {
  const wire = roleToWire(role);
  let data = setting.read ? setting.read(wire) : { [setting.name]: wire[setting.name] };
  const value = data[setting.name];
  if (setting.alias && (Array.isArray(value) ? value.length > 0 : Boolean(value)))
    data = { ...data, [setting.alias]: value };
  return setting.readWarning ? { data, warnings: [setting.readWarning] } : { data };
}

/** The change an update asks for, or undefined when it sends no value. */
function requestedChange(setting: RoleSetting, input: Change, role: RoleEntry, ctx: EngineContext) {
  const value = input[setting.name] ?? (setting.alias && input[setting.alias]);
  if (value === undefined) {
    if (setting.missing) throw invalid(setting.missing);
    return undefined;
  }
  const refusal = setting.refuse?.(input, role, ctx);
  if (refusal) throw invalid(refusal);
  return { [setting.name]: value } as Change;
}

export function roleSettingPaths(roleLocks: KeyedMutex) {
  return SETTINGS.map((setting) => {
    const fields: Fields = { ...roleNameField };
    if (!setting.readOnly) fields[setting.name] = roleFields[setting.name];
    if (setting.alias) fields[setting.alias] = roleFields[setting.alias];
    const writes = {
      update: (ctx: EngineContext, input: Change) =>
        serialiseRoleWrites(roleLocks, ctx, async () => {
          const role = await loadRole(ctx.storage, input.role_name!);
          // Vault's ErrUnsupportedPath: an update of a role that is not there is a 404.
          if (!role) throw notFound('unsupported path');
          const change = requestedChange(setting, input, role, ctx) ?? {};
          await saveRole(ctx.storage, applyRoleInput(role, change, false), role.roleId);
        }),
      delete: (ctx: EngineContext, input: Change) =>
        serialiseRoleWrites(roleLocks, ctx, async () => {
          const role = await loadRole(ctx.storage, input.role_name!);
          if (!role || setting.keepOnDelete) return;
          const reset = { [setting.name]: defaultOf(setting.name) } as Change;
          await saveRole(ctx.storage, applyRoleInput(role, reset, false), role.roleId);
        }),
    };
    return definePath({
      pattern: `role/:role_name/${setting.segment}`,
      fields,
      operations: {
        read: async (ctx, input) => {
          const role = await loadRole(ctx.storage, input.role_name as string);
          return role && readSetting(setting, role);
        },
        ...(setting.readOnly ? {} : writes),
      },
      help: setting.help,
    });
  });
}
