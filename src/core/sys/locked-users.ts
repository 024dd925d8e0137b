/** `sys/locked-users`: users an auth method has locked out (userpass), listed by mount accessor, and unlocking them. */
import { userLockoutOf } from '../../auth/user-lockout.js';
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';

/** Auth mounts whose method keeps lockout state, with what reaches it. */
function lockoutMounts(core: Core) {
  const mounts = core.unsealed.mounts;
  return mounts.table.all('auth').flatMap((entry) => {
    const runtime = mounts.runtime(entry);
    const lockout = runtime && userLockoutOf(runtime.engine);
    return runtime && lockout ? [{ accessor: entry.accessor, ctx: runtime.ctx, lockout }] : [];
  });
}

async function listLockedUsers(core: Core, onlyAccessor: string | undefined) {
  const byMount = [];
  for (const mount of lockoutMounts(core)) {
    if (onlyAccessor && mount.accessor !== onlyAccessor) continue;
    const aliases = await mount.lockout.lockedUsers(mount.ctx);
    if (aliases.length)
      byMount.push({ mount_accessor: mount.accessor, counts: aliases.length, alias_identifiers: aliases });
  }
  // Vault orders by decreasing count.
  byMount.sort((a, b) => b.counts - a.counts);
  const total = byMount.reduce((sum, m) => sum + m.counts, 0);
  // One namespace: Coffer has only Vault's root namespace.
  const byNamespace = total
    ? [{ namespace_id: 'root', namespace_path: '', counts: total, mount_accessors: byMount }]
    : [];
  return { data: { by_namespace: byNamespace, total } };
}

export function lockedUserPaths(core: Core) {
  return [
    definePath({
      pattern: 'locked-users',
      fields: { mount_accessor: field.string('Only this auth mount.', { max: 256 }) },
      operations: { read: (_ctx, input) => listLockedUsers(core, input.mount_accessor) },
      help: 'List the users locked out by auth methods.',
    }),
    definePath({
      pattern: 'locked-users/:mount_accessor/unlock/:alias_identifier',
      fields: {
        mount_accessor: field.name('Accessor of the auth mount.'),
        alias_identifier: field.string('The locked name (a userpass username).', { max: 4096 }),
      },
      operations: {
        update: async (_ctx, input) => {
          const entry = core.unsealed.mounts.table.byAccessor(input.mount_accessor ?? '');
          if (entry?.table !== 'auth')
            throw invalid(`no auth mount with accessor ${JSON.stringify(input.mount_accessor)}`);
          // Idempotent, as in Vault: unlocking someone who is not locked (or a method without lockout) succeeds.
          const mount = lockoutMounts(core).find((m) => m.accessor === input.mount_accessor);
          await mount?.lockout.unlock(mount.ctx, input.alias_identifier ?? '');
        },
      },
      help: 'Unlock a user locked out of an auth mount.',
    }),
  ];
}
