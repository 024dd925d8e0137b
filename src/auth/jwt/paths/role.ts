/** `role/` (LIST) and `role/:name` (CRUD). */
import { roleCrudPaths } from '../../role-store.js';
import { applyRoleInput, roleFields, roleToWire } from '../role.js';

export const rolePaths = roleCrudPaths({
  fields: roleFields,
  apply: applyRoleInput,
  toWire: roleToWire,
  help: 'Manages the roles a JWT logs in against: bindings, claim mappings and token settings.',
});
