/** The `creds` lease: renewing extends the user's validity at the database; revoking drops the user. */
import { invalid } from '../../core/errors.js';
import type { SecretType } from '../../framework/engine.js';
import { databaseError } from './connections.js';
import type { DatabaseMounts } from './mount-state.js';
import { EXPIRATION_BUFFER_SECONDS, leaseTtls } from './paths/creds.js';
import { loadRole } from './store.js';

interface CredsLeaseData {
  username: string;
  role: string;
  db_name: string;
  revocation_statements?: string[];
}

function leaseData(internal: Record<string, unknown>): CredsLeaseData {
  const { username, role, db_name } = internal;
  if (typeof username !== 'string' || typeof role !== 'string' || typeof db_name !== 'string')
    throw invalid('lease is missing its database user');
  return internal as unknown as CredsLeaseData;
}

export function dbCredentials(mounts: DatabaseMounts): SecretType {
  return {
    type: 'creds',
    async renew(ctx, lease) {
      const data = leaseData(lease.internalData);
      const role = await loadRole(ctx.storage, data.role);
      if (!role) throw invalid(`could not find role with name: ${data.role}`);
      const now = ctx.clock.now();
      const { ttl: defaultTtl, maxTtl } = leaseTtls(ctx, role);
      const remaining = Math.floor((lease.issueTime + maxTtl * 1000 - now) / 1000);
      const ttl = Math.max(0, Math.min(lease.increment || defaultTtl, remaining));
      const { plugin } = await mounts.of(ctx).connections.get(data.db_name);
      await plugin
        .updateUser({
          username: data.username,
          expiration: {
            newExpiration: new Date(now + (ttl + EXPIRATION_BUFFER_SECONDS) * 1000),
            statements: role.renewStatements,
          },
        })
        .catch((error: unknown) => {
          throw databaseError('failed to renew user', error);
        });
      return { secret: { ttlSeconds: ttl, maxTtlSeconds: maxTtl, renewable: true } };
    },

    /** Throws on any database error, so the expiration manager retries (and, in the end, marks it irrevocable). */
    async revoke(ctx, lease) {
      const data = leaseData(lease.internalData);
      // The role's current statements win; a deleted role's are kept with the lease.
      const role = await loadRole(ctx.storage, data.role);
      const statements = role?.revocationStatements ?? data.revocation_statements ?? [];
      const { plugin } = await mounts.of(ctx).connections.get(data.db_name);
      await plugin.deleteUser({ username: data.username, statements }).catch((error: unknown) => {
        throw databaseError('failed to revoke user', error);
      });
    },
  };
}
