/** `role/` (LIST) and `role/:name` (CRUD). */
import { definePath } from '../../../framework/path.js';
import {
  applyRoleInput,
  deleteRole,
  listRoles,
  loadRole,
  roleFields,
  roleToWire,
  saveRole,
} from '../role.js';

export const rolePaths = [
  definePath({
    pattern: 'role/',
    // http/ turns an empty list into Vault's 404.
    operations: { list: async (ctx) => ({ data: { keys: await listRoles(ctx.storage) } }) },
    help: 'Lists the roles.',
  }),
  definePath({
    pattern: 'role/:name',
    fields: roleFields,
    exists: async (ctx, input) => (await loadRole(ctx.storage, input.name!)) !== undefined,
    operations: {
      async read(ctx, input) {
        const role = await loadRole(ctx.storage, input.name!);
        return role && { data: roleToWire(role) };
      },
      async create(ctx, input) {
        const existing = await loadRole(ctx.storage, input.name!);
        await saveRole(ctx.storage, input.name!, applyRoleInput(existing, input));
      },
      async delete(ctx, input) {
        await deleteRole(ctx.storage, input.name!);
      },
    },
    help: 'Manages the roles that bind service accounts (names, namespaces, audience) to token settings.',
  }),
];
