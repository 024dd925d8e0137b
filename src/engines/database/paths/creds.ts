/** `creds/:name` (a new user under a lease) and `static-creds/:name` (a static account's current password). */
import { CofferError, invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalRequest } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { databaseError } from '../connections.js';
import type { DatabaseMounts } from '../mount-state.js';
import { generatePassword } from '../password.js';
import { secondsUntilRotation } from '../schedule.js';
import { loadConnection, loadRole, loadStaticRole, roleAllowed } from '../store.js';
import { staticRoleTiming } from './static-roles.js';

/** The database user outlives its lease by a few seconds, so it never dies before Coffer revokes it (as in Vault). */
export const EXPIRATION_BUFFER_SECONDS = 5;

const nameField = { name: field.name('Name of the role.') };

/** The connection must list the role in allowed_roles; Vault's words, as a 403. */
async function allowedConnection(ctx: EngineContext, dbName: string, roleName: string) {
  const config = await loadConnection(ctx.storage, dbName);
  if (!config) throw invalid(`no database connection named "${dbName}"`);
  if (!roleAllowed(config, roleName))
    throw new CofferError('permission_denied', `"${roleName}" is not an allowed role`);
  return config;
}

/** Role TTLs first, then the mount's; never past the mount's maximum. */
export function leaseTtls(ctx: EngineContext, role: { defaultTtl: number; maxTtl: number }) {
  const mountMax = ctx.system.maxLeaseTtl();
  const maxTtl = Math.min(role.maxTtl || mountMax, mountMax);
  const ttl = Math.min(role.defaultTtl || ctx.system.defaultLeaseTtl(), maxTtl);
  return { ttl, maxTtl };
}

async function issueCredentials(
  mounts: DatabaseMounts,
  ctx: EngineContext,
  input: Input<typeof nameField>,
  req: LogicalRequest,
) {
  const name = input.name!;
  const role = await loadRole(ctx.storage, name);
  if (!role) throw invalid(`unknown role: ${name}`);
  await allowedConnection(ctx, role.dbName, name);
  const { plugin } = await mounts.of(ctx).connections.get(role.dbName);
  const { ttl, maxTtl } = leaseTtls(ctx, role);
  const password = generatePassword();
  const created = await plugin
    .newUser({
      usernameConfig: { displayName: req.caller?.displayName ?? '', roleName: name },
      statements: role.creationStatements,
      rollbackStatements: role.rollbackStatements,
      password,
      expiration: new Date(ctx.clock.now() + (ttl + EXPIRATION_BUFFER_SECONDS) * 1000),
    })
    .catch((error: unknown) => {
      throw databaseError('failed to create user', error);
    });
  return {
    data: { username: created.username, password },
    secret: {
      type: 'creds',
      ttlSeconds: ttl,
      maxTtlSeconds: maxTtl,
      renewable: true,
      internalData: {
        username: created.username,
        role: name,
        db_name: role.dbName,
        revocation_statements: role.revocationStatements,
      },
    },
  };
}

async function readStaticCredentials(ctx: EngineContext, input: Input<typeof nameField>) {
  const name = input.name!;
  const role = await loadStaticRole(ctx.storage, name);
  if (!role) throw invalid(`unknown role: ${name}`);
  await allowedConnection(ctx, role.dbName, name);
  return {
    data: {
      username: role.username,
      password: role.password,
      last_vault_rotation: new Date(role.lastVaultRotation).toISOString(),
      ...staticRoleTiming(role),
      ttl: secondsUntilRotation(role, ctx.clock.now()),
    },
  };
}

export function credsPaths(mounts: DatabaseMounts) {
  return [
    definePath({
      pattern: 'creds/:name',
      fields: nameField,
      operations: { read: (ctx, input, req) => issueCredentials(mounts, ctx, input, req) },
      help: 'Create a database user for a role; it is dropped when its lease ends.',
    }),
    definePath({
      pattern: 'static-creds/:name',
      fields: nameField,
      operations: { read: readStaticCredentials },
      help: "Read a static role's current password and when it rotates next.",
    }),
  ];
}
