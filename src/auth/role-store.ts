/**
 * Roles of an auth method, kept under `role/<name>` with names compared case-insensitively as
 * Vault does, and the `role/` + `role/:name` CRUD paths that JWT and Kubernetes share.
 */
import type { Field, Fields, Input } from '../framework/fields.js';
import { type CompiledPath, definePath } from '../framework/path.js';
import type { StorageView } from '../framework/storage-view.js';

const roleKey = (name: string) => `role/${name.toLowerCase()}`;

export function roleStore<R>() {
  return {
    loadRole: (storage: StorageView, name: string) => storage.getJson<R>(roleKey(name)),
    /** The barrier's shared, frozen copy: for a login, which only reads the role. */
    readRole: (storage: StorageView, name: string) => storage.readJson<R>(roleKey(name)),
    saveRole: (storage: StorageView, name: string, role: R) => storage.putJson(roleKey(name), role),
    deleteRole: (storage: StorageView, name: string) => storage.delete(roleKey(name)),
    listRoles: (storage: StorageView) => storage.list('role/'),
  };
}

type RoleFields = Fields & { name: Field<string> };

interface RoleCrud<R, F extends RoleFields> {
  /** Must declare `name`, the role's URL segment. */
  fields: F;
  apply(existing: R | undefined, input: Input<F>): R;
  toWire(role: R): Record<string, unknown>;
  help: string;
}

/** `name` is a required URL capture; TypeScript cannot narrow a generic field map to see it. */
const roleName = (input: unknown) => (input as { name: string }).name;

export function roleCrudPaths<R, F extends RoleFields>(crud: RoleCrud<R, F>): CompiledPath[] {
  const { loadRole, saveRole, deleteRole, listRoles } = roleStore<R>();
  return [
    definePath({
      pattern: 'role/',
      // http/ turns an empty list into Vault's 404.
      operations: { list: async (ctx) => ({ data: { keys: await listRoles(ctx.storage) } }) },
      help: 'Lists the roles.',
    }),
    definePath({
      pattern: 'role/:name',
      fields: crud.fields,
      exists: async (ctx, input) => (await loadRole(ctx.storage, roleName(input))) !== undefined,
      operations: {
        async read(ctx, input) {
          const role = await loadRole(ctx.storage, roleName(input));
          return role && { data: crud.toWire(role) };
        },
        async create(ctx, input) {
          const existing = await loadRole(ctx.storage, roleName(input));
          await saveRole(ctx.storage, roleName(input), crud.apply(existing, input));
        },
        async delete(ctx, input) {
          await deleteRole(ctx.storage, roleName(input));
        },
      },
      help: crud.help,
    }),
  ];
}
