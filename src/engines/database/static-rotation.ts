/**
 * Rotating a static role's password without ever losing the one that works: the new password is
 * stored as `pending` before the database sees it and promoted only after the database confirms.
 * A pending password found later (after a failure or a crash) is re-applied, never discarded.
 */
import { CofferError, invalid } from '../../core/errors.js';
import type { Clock } from '../../framework/clock.js';
import type { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { StorageView } from '../../framework/storage-view.js';
import { type Connections, databaseError } from './connections.js';
import { generatePassword } from './password.js';
import { nextRotation } from './schedule.js';
import { keys, loadConnection, loadStaticRole, roleAllowed, type StaticRole } from './store.js';

export interface RotationDeps {
  storage: StorageView;
  connections: Connections;
  clock: Clock;
  locks: KeyedMutex;
}

export const staticLockKey = (name: string) => `static-role/${name}`;

/** Sends the pending password to the database, then makes it the current one. */
async function applyPending(deps: RotationDeps, name: string, role: StaticRole): Promise<StaticRole> {
  const pending = role.pending;
  if (!pending) return role;
  // As in Vault: a connection's allowed_roles also bounds which accounts its static roles may rotate.
  const connection = await loadConnection(deps.storage, role.dbName);
  if (connection && !roleAllowed(connection, name))
    throw new CofferError('permission_denied', `"${name}" is not an allowed role`);
  const { plugin } = await deps.connections.get(role.dbName);
  try {
    await plugin.updateUser({
      username: role.username,
      password: { newPassword: pending.password, statements: role.rotationStatements },
    });
  } catch (error) {
    throw databaseError('failed to rotate the static account password', error);
  }
  const promoted: StaticRole = { ...role, password: pending.password, lastVaultRotation: deps.clock.now() };
  delete promoted.pending;
  await deps.storage.putJson(keys.staticRole(name), promoted);
  return promoted;
}

/**
 * Gives the role a new password now (or, with `onlyIfDue`, only when its time has come). An
 * interrupted rotation is finished with its own pending password instead of starting another.
 */
export function rotateStaticRole(
  deps: RotationDeps,
  name: string,
  options: { onlyIfDue?: boolean } = {},
): Promise<StaticRole> {
  return deps.locks.run(staticLockKey(name), async () => {
    const role = await loadStaticRole(deps.storage, name);
    if (!role) throw invalid(`unknown static role: ${name}`);
    if (role.pending) return applyPending(deps, name, role);
    if (options.onlyIfDue && nextRotation(role) > deps.clock.now()) return role;
    const staged: StaticRole = {
      ...role,
      pending: { password: generatePassword(), since: deps.clock.now() },
    };
    await deps.storage.putJson(keys.staticRole(name), staged);
    return applyPending(deps, name, staged);
  });
}

/** Stores a new static role and sets its first password; the role is not kept if the database refuses. */
export function createStaticRole(deps: RotationDeps, name: string, role: StaticRole): Promise<StaticRole> {
  return deps.locks.run(staticLockKey(name), async () => {
    const staged: StaticRole = {
      ...role,
      pending: { password: generatePassword(), since: deps.clock.now() },
    };
    await deps.storage.putJson(keys.staticRole(name), staged);
    try {
      return await applyPending(deps, name, staged);
    } catch (error) {
      await deps.storage.delete(keys.staticRole(name));
      throw error;
    }
  });
}
