/** `roles/:name`, `roles/`: dynamic roles, each a recipe for the users `creds/:name` creates. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { statementsField } from '../statement-field.js';
import { type DynamicRole, keys, loadRole } from '../store.js';

export const credentialTypeField = field.string('Kind of credential; only "password" is supported.', {
  max: 64,
});

export function checkCredentialType(value: string | undefined): 'password' {
  if (value !== undefined && value !== 'password')
    throw invalid(`credential_type "${value}" is not supported: only "password" is`);
  return 'password';
}

const roleFields = {
  name: field.name('Name of the role.'),
  db_name: field.string('Connection this role issues credentials on.', { max: 512 }),
  creation_statements: statementsField(
    'Statements that create the user ({{name}}, {{password}}, {{expiration}}).',
  ),
  revocation_statements: statementsField('Statements that drop the user; empty means the plugin default.'),
  rollback_statements: statementsField('Statements run when creation fails part-way.'),
  renew_statements: statementsField('Statements that extend the user on renewal; empty means the default.'),
  default_ttl: field.duration('Lease TTL when the caller asks for none; 0 means the mount default.'),
  max_ttl: field.duration('Upper bound on renewals; 0 means the mount maximum.'),
  credential_type: credentialTypeField,
};

function roleToWire(role: DynamicRole) {
  return {
    db_name: role.dbName,
    creation_statements: role.creationStatements,
    revocation_statements: role.revocationStatements,
    rollback_statements: role.rollbackStatements,
    renew_statements: role.renewStatements,
    default_ttl: role.defaultTtl,
    max_ttl: role.maxTtl,
    credential_type: role.credentialType,
  };
}

async function writeRole(ctx: EngineContext, input: Input<typeof roleFields>) {
  const name = input.name!;
  if (await ctx.storage.has(keys.staticRole(name)))
    throw invalid('Role and Static Role names must be unique');
  const existing = await loadRole(ctx.storage, name);
  const role: DynamicRole = {
    dbName: input.db_name ?? existing?.dbName ?? '',
    creationStatements: input.creation_statements ?? existing?.creationStatements ?? [],
    revocationStatements: input.revocation_statements ?? existing?.revocationStatements ?? [],
    rollbackStatements: input.rollback_statements ?? existing?.rollbackStatements ?? [],
    renewStatements: input.renew_statements ?? existing?.renewStatements ?? [],
    defaultTtl: input.default_ttl ?? existing?.defaultTtl ?? 0,
    maxTtl: input.max_ttl ?? existing?.maxTtl ?? 0,
    credentialType: checkCredentialType(input.credential_type ?? existing?.credentialType),
  };
  if (!role.dbName) throw invalid('empty database name attribute');
  if (role.creationStatements.length === 0) throw invalid('empty creation statements');
  if (role.defaultTtl < 0 || role.maxTtl < 0) throw invalid('ttl and max_ttl cannot be negative');
  if (role.maxTtl > 0 && role.defaultTtl > role.maxTtl) throw invalid('ttl cannot be greater than max_ttl');
  await ctx.storage.putJson(keys.role(name), role);
}

export const rolePaths = [
  definePath({
    pattern: 'roles/',
    operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('role/') } }) },
    help: 'List the dynamic roles.',
  }),
  definePath({
    pattern: 'roles/:name',
    fields: roleFields,
    exists: (ctx, input) => ctx.storage.has(keys.role(input.name!)),
    operations: {
      read: async (ctx, input) => {
        const role = await loadRole(ctx.storage, input.name!);
        return role && { data: roleToWire(role) };
      },
      create: writeRole,
      update: writeRole,
      delete: async (ctx, input) => {
        await ctx.storage.delete(keys.role(input.name!));
      },
    },
    help: 'Manage the dynamic roles that creds/:name issues credentials for.',
  }),
];
