/** `sys/internal/ui/mounts`: how the CLI and consul-template tell KV v1 from v2. */
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { CofferError } from '../errors.js';
import { type MountEntry, mountToWire, routePrefix } from '../mounts.js';

async function visibleMounts(core: Core, token: string | undefined) {
  const state = core.unsealed;
  const entry = token ? await state.tokens.lookup(token) : undefined;
  const acl = entry ? await state.policies.aclFor(entry.policies) : undefined;
  const out: { secret: Record<string, unknown>; auth: Record<string, unknown> } = { secret: {}, auth: {} };
  for (const mount of state.mounts.table.all()) {
    const bucket = mount.table === 'auth' ? out.auth : out.secret;
    if (acl) {
      if (acl.hasAccessUnder(routePrefix(mount))) bucket[mount.path] = mountToWire(mount);
    } else if (mount.config.listingVisibility === 'unauth') {
      bucket[mount.path] = { type: mount.type, description: mount.description, options: mount.options };
    }
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
      operations: { read: (_ctx, _input, req) => visibleMounts(core, req.caller?.clientToken) },
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
          const token = req.caller?.clientToken
            ? await state.tokens.lookup(req.caller.clientToken)
            : undefined;
          const mount: MountEntry | undefined = state.mounts.table.match(path);
          if (!token || !mount) throw preflightDenied(path.replace(/\/$/, ''));
          const acl = await state.policies.aclFor(token.policies);
          // Vault: any capability on anything under the mount is enough to learn which mount serves the path.
          if (!acl.hasAccessUnder(routePrefix(mount))) throw preflightDenied(path.replace(/\/$/, ''));
          return { data: { ...mountToWire(mount), path: mount.path } };
        },
      },
      help: 'The mount serving a path.',
    }),
  ];
}
