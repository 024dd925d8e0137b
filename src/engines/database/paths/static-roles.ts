/** `static-roles/:name`, `static-roles/`: existing database users whose password Coffer rotates. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import type { DatabaseMounts } from '../mount-state.js';
import { validateSchedule } from '../schedule.js';
import { statementsField } from '../statement-field.js';
import { createStaticRole, staticLockKey } from '../static-rotation.js';
import { keys, loadStaticRole, type StaticRole } from '../store.js';
import { checkCredentialType, credentialTypeField } from './roles.js';

const MIN_ROTATION_PERIOD = 5;

const staticRoleFields = {
  name: field.name('Name of the static role.'),
  db_name: field.string('Connection the account lives on.', { max: 512 }),
  username: field.string('Existing database user whose password is rotated.', { max: 512 }),
  rotation_period: field.duration('Rotate this often (at least 5s).'),
  rotation_schedule: field.string('Rotate on this cron schedule (five fields, UTC) instead.', { max: 256 }),
  rotation_window: field.duration('Not supported: rotations happen at the scheduled time.'),
  rotation_statements: statementsField('Statements that set the password ({{name}}, {{password}}).'),
  credential_type: credentialTypeField,
};
type StaticInput = Input<typeof staticRoleFields>;

export function staticRoleTiming(role: StaticRole): Record<string, unknown> {
  return role.rotationSchedule
    ? { rotation_schedule: role.rotationSchedule }
    : { rotation_period: role.rotationPeriod };
}

function staticRoleToWire(role: StaticRole) {
  return {
    db_name: role.dbName,
    username: role.username,
    rotation_statements: role.rotationStatements,
    credential_type: role.credentialType,
    last_vault_rotation: new Date(role.lastVaultRotation).toISOString(),
    ...staticRoleTiming(role),
  };
}

/** Vault's rules: exactly one of period and schedule; username and database fixed after creation. */
function mergeTiming(input: StaticInput, existing: StaticRole | undefined) {
  if (input.rotation_window !== undefined) throw invalid('rotation_window is not supported');
  if (input.rotation_period !== undefined && input.rotation_schedule !== undefined)
    throw invalid(
      'mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided',
    );
  if (input.rotation_schedule !== undefined) {
    validateSchedule(input.rotation_schedule);
    return { rotationPeriod: 0, rotationSchedule: input.rotation_schedule };
  }
  if (input.rotation_period !== undefined) {
    if (input.rotation_period < MIN_ROTATION_PERIOD)
      throw invalid(`rotation_period must be ${MIN_ROTATION_PERIOD} seconds or more`);
    return { rotationPeriod: input.rotation_period, rotationSchedule: '' };
  }
  if (!existing)
    throw invalid('one of rotation_schedule or rotation_period must be provided to create a static account');
  return { rotationPeriod: existing.rotationPeriod, rotationSchedule: existing.rotationSchedule };
}

function checkIdentity(input: StaticInput, existing: StaticRole | undefined) {
  if (existing) {
    if (input.username !== undefined && input.username !== existing.username)
      throw invalid('cannot update static account username');
    if (input.db_name !== undefined && input.db_name !== existing.dbName)
      throw invalid('cannot update static role database');
    return;
  }
  if (!input.username) throw invalid('username is a required field to create a static account');
  if (!input.db_name) throw invalid('database name is required');
}

/** One static role per database account: two rotating one password would lock each other out. */
async function checkUsernameFree(ctx: EngineContext, name: string, dbName: string, username: string) {
  for (const other of await ctx.storage.list('static-role/')) {
    if (other === name) continue;
    const role = await loadStaticRole(ctx.storage, other);
    if (role?.dbName === dbName && role.username === username)
      throw invalid(`username "${username}" is already managed by static role "${other}"`);
  }
}

async function writeStaticRole(mounts: DatabaseMounts, ctx: EngineContext, input: StaticInput) {
  const name = input.name!;
  if (await ctx.storage.has(keys.role(name))) throw invalid('Role and Static Role names must be unique');
  const { rotation, locks } = mounts.of(ctx);
  const existing = await loadStaticRole(ctx.storage, name);
  checkIdentity(input, existing);
  const timing = mergeTiming(input, existing);
  const credentialType = checkCredentialType(input.credential_type ?? existing?.credentialType);
  if (!existing) {
    const username = input.username!;
    const dbName = input.db_name!;
    await checkUsernameFree(ctx, name, dbName, username);
    const fresh: StaticRole = {
      dbName,
      username,
      ...timing,
      rotationStatements: input.rotation_statements ?? [],
      credentialType,
      password: '',
      lastVaultRotation: 0,
    };
    await createStaticRole(rotation, name, fresh);
    return;
  }
  await locks.run(staticLockKey(name), async () => {
    // Re-read under the lock: a rotation may have changed the password since the check above.
    const current = await loadStaticRole(ctx.storage, name);
    if (!current) throw invalid(`unknown static role: ${name}`);
    const next: StaticRole = {
      ...current,
      ...timing,
      rotationStatements: input.rotation_statements ?? current.rotationStatements,
    };
    await ctx.storage.putJson(keys.staticRole(name), next);
  });
}

export function staticRolePaths(mounts: DatabaseMounts) {
  return [
    definePath({
      pattern: 'static-roles/',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('static-role/') } }) },
      help: 'List the static roles.',
    }),
    definePath({
      pattern: 'static-roles/:name',
      fields: staticRoleFields,
      exists: (ctx, input) => ctx.storage.has(keys.staticRole(input.name!)),
      operations: {
        read: async (ctx, input) => {
          const role = await loadStaticRole(ctx.storage, input.name!);
          return role && { data: staticRoleToWire(role) };
        },
        create: (ctx, input) => writeStaticRole(mounts, ctx, input),
        update: (ctx, input) => writeStaticRole(mounts, ctx, input),
        delete: (ctx, input) =>
          mounts.of(ctx).locks.run(staticLockKey(input.name!), async () => {
            await ctx.storage.delete(keys.staticRole(input.name!));
          }),
      },
      help: 'Manage static roles: existing database users whose passwords Coffer rotates.',
    }),
  ];
}
