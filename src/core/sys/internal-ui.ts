/** `sys/internal/ui/mounts`: how the CLI and consul-template tell KV v1 from v2. */
import { field } from '../../framework/fields.js';
import type { LogicalRequest } from '../../framework/logical.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { CofferError, denied } from '../errors.js';
import { aclForToken } from '../identity-acl.js';
import { type MountEntry, mountToWire, routePrefix } from '../mounts.js';

/**
 * The caller's ACL, or undefined when no token was sent. A token that was sent but is not valid is
 * refused (Vault: 403), not taken as anonymous.
 */
async function callerAcl(core: Core, req: LogicalRequest) {
  if (req.staleToken) throw denied();
  return req.caller ? aclForToken(core.unsealed, req.caller.policies ?? [], req.caller.entityId) : undefined;
}

async function visibleMounts(core: Core, req: LogicalRequest) {
  const state = core.unsealed;
  const acl = await callerAcl(core, req);
  const out: { secret: Record<string, unknown>; auth: Record<string, unknown> } = { secret: {}, auth: {} };
  for (const mount of state.mounts.table.all()) {
    const bucket = mount.table === 'auth' ? out.auth : out.secret;
    // As in Vault: a mount tuned to listing_visibility=unauth is listed for everyone; an authenticated
    // caller also sees the mounts its policies reach, and gets the full description of each.
    const listed = mount.config.listingVisibility === 'unauth' || acl?.hasAccessUnder(routePrefix(mount));
    if (!listed) continue;
    bucket[mount.path] = acl
      ? mountToWire(mount)
      : { type: mount.type, description: mount.description, options: mount.options };
  }
  return { data: out };
}

function preflightDenied(path: string) {
  return new CofferError(
    'permission_denied',
    `preflight capability check returned 403, please ensure client's policies grant access to path "${path}/"`,
  );
}

export function internalUiPaths(core: Core) {
  return [
    definePath({
      pattern: 'internal/ui/mounts',
      unauthenticated: true,
      operations: { read: (_ctx, _input, req) => visibleMounts(core, req) },
      help: 'Mounts visible to the caller.',
    }),
    definePath({
      pattern: 'internal/ui/mounts/*path',
      fields: { path: field.string('Any path under a mount.') },
      unauthenticated: true,
      operations: {
        read: async (_ctx, input, req) => {
          const path = (input.path ?? '').replace(/^\/+/, '');
          const state = core.unsealed;
          const mount: MountEntry | undefined = state.mounts.table.match(path);
          // No such mount is the same 403 as no access: this path must not map the mount table.
          if (!mount) throw preflightDenied(path.replace(/\/$/, ''));
          const acl = await callerAcl(core, req);
          // Vault: any capability on anything under the mount is enough to learn which mount serves the path.
          if (!acl?.hasAccessUnder(routePrefix(mount))) throw preflightDenied(path.replace(/\/$/, ''));
          return { data: { ...mountToWire(mount), path: mount.path } };
        },
      },
      help: 'The mount serving a path.',
    }),
  ];
}
