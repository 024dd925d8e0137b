/** `rotate-root/:name` and `rotate-role/:name`: new passwords on demand. */
import { invalid } from '../../../core/errors.js';
import { field } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { databaseError } from '../connections.js';
import type { DatabaseMounts } from '../mount-state.js';
import { generatePassword } from '../password.js';
import { rotateStaticRole } from '../static-rotation.js';
import { type ConnectionConfig, keys, loadConnection } from '../store.js';
import { hasLiteralUrlPassword } from './config.js';

function rootAccount(config: ConnectionConfig): string {
  const { username, password, connection_url: url } = config.connectionDetails;
  if (typeof username !== 'string' || !username)
    throw invalid('unable to rotate root credentials: no username in configuration');
  if (typeof password !== 'string' || !password)
    throw invalid('unable to rotate root credentials: no password in configuration');
  // The new password could never reach a connection_url that spells the old one out.
  if (hasLiteralUrlPassword(url))
    throw invalid(
      'unable to rotate root credentials: connection_url must use {{password}}, not a literal password',
    );
  return username;
}

/**
 * The new root password is stored as pending before the database changes; if Coffer stops in
 * between, the next connection attempt finds out which of the two works (connections.ts).
 */
function rotateRoot(mounts: DatabaseMounts, ctx: EngineContext, name: string) {
  const { connections, locks } = mounts.of(ctx);
  return locks.run(`root/${name}`, async () => {
    if (!(await loadConnection(ctx.storage, name))) throw invalid(`no database connection named "${name}"`);
    const { plugin } = await connections.get(name); // settles an earlier interrupted rotation first
    const current = (await loadConnection(ctx.storage, name))!;
    const username = rootAccount(current);
    const newPassword = generatePassword();
    await ctx.storage.putJson(keys.connection(name), { ...current, pendingRootPassword: newPassword });
    try {
      await plugin.updateUser({
        username,
        password: { newPassword, statements: current.rootRotationStatements },
      });
    } catch (error) {
      await connections.close(name);
      throw databaseError('failed to update user', error);
    }
    const promoted: ConnectionConfig = {
      ...current,
      connectionDetails: { ...current.connectionDetails, password: newPassword },
    };
    await ctx.storage.putJson(keys.connection(name), promoted);
    // Reopen with the new password now, so a broken rotation shows here and not at the next lease.
    await connections.close(name);
    await connections.get(name);
  });
}

const nameField = { name: field.name('Name of the connection or static role.') };

export function rotatePaths(mounts: DatabaseMounts) {
  return [
    definePath({
      pattern: 'rotate-root/:name',
      fields: nameField,
      operations: { update: (ctx, input) => rotateRoot(mounts, ctx, input.name!) },
      help: "Change the connection's root password at the database and keep only the new one.",
    }),
    definePath({
      pattern: 'rotate-role/:name',
      fields: nameField,
      operations: {
        update: async (ctx, input) => {
          await rotateStaticRole(mounts.of(ctx).rotation, input.name!);
        },
      },
      help: "Rotate a static role's password now.",
    }),
  ];
}
