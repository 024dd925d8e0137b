/** `tidy/secret-id`: removes expired secret IDs and dangling accessors in the background (202, as Vault). */
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import type { RoleEntry } from '../roles.js';
import type { SecretIds } from '../secret-ids.js';

async function allRoles(ctx: EngineContext): Promise<RoleEntry[]> {
  const roles: RoleEntry[] = [];
  for (const name of await ctx.storage.list('role/')) {
    const role = await ctx.storage.getJson<RoleEntry>(`role/${name}`);
    if (role) roles.push(role);
  }
  return roles;
}

export async function tidySecretIds(ctx: EngineContext, secretIds: SecretIds): Promise<number> {
  return secretIds.tidy(ctx, await allRoles(ctx));
}

export function tidyPaths(secretIds: SecretIds) {
  const running = new Set<string>();
  return [
    definePath({
      pattern: 'tidy/secret-id',
      operations: {
        update: (ctx): LogicalResponse => {
          const mount = ctx.system.mountUuid;
          if (running.has(mount)) return { warnings: ['Tidy operation already in progress.'] };
          running.add(mount);
          tidySecretIds(ctx, secretIds)
            .then((removed) => ctx.log.info('tidy of secret IDs finished', { removed }))
            .catch((error: unknown) =>
              ctx.log.error('tidy of secret IDs failed', {
                error: error instanceof Error ? error.name : 'unknown',
              }),
            )
            .finally(() => running.delete(mount));
          return {
            httpStatus: 202,
            warnings: [
              "Tidy operation successfully started. Any information from the operation will be printed to Coffer's server logs.",
            ],
          };
        },
      },
      help: 'Remove expired secret IDs and accessors that point at nothing.',
    }),
  ];
}
