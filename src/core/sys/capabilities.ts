/** `sys/capabilities*`: what a token may do on given paths, as the ACL would decide it. */
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';
import { aclForToken } from '../identity-acl.js';
import type { TokenEntry } from '../token/store.js';

const pathFields = {
  paths: field.stringList('Paths to check.'),
  path: field.stringList('Deprecated: a single path.'),
};

async function capabilitiesOf(
  core: Core,
  entry: TokenEntry | undefined,
  paths: string[] | undefined,
  what: string,
) {
  if (!entry) throw invalid(what);
  if (!paths?.length) throw invalid('paths must be supplied');
  const acl = await aclForToken(core.unsealed, entry.policies, entry.entityId);
  const data: Record<string, unknown> = {};
  for (const path of paths) data[path] = acl.capabilities(path.replace(/^\/+/, ''));
  if (paths.length === 1) data.capabilities = data[paths[0]];
  return { data };
}

export function capabilityPaths(core: Core) {
  return [
    definePath({
      pattern: 'capabilities',
      fields: { token: field.string('Token to check.'), ...pathFields },
      operations: {
        update: async (_ctx, input) =>
          capabilitiesOf(
            core,
            input.token ? await core.unsealed.tokens.lookup(input.token) : undefined,
            input.paths ?? input.path,
            'invalid token',
          ),
      },
      help: 'Capabilities of a token on paths.',
    }),
    definePath({
      pattern: 'capabilities-self',
      fields: { token: field.string('Ignored; the caller token is used.'), ...pathFields },
      operations: {
        update: async (_ctx, input, req) =>
          capabilitiesOf(
            core,
            req.caller?.clientToken ? await core.unsealed.tokens.lookup(req.caller.clientToken) : undefined,
            input.paths ?? input.path,
            'invalid token',
          ),
      },
      help: "Capabilities of the caller's token on paths.",
    }),
    definePath({
      pattern: 'capabilities-accessor',
      fields: { accessor: field.string('Accessor of the token to check.'), ...pathFields },
      operations: {
        update: async (_ctx, input) =>
          capabilitiesOf(
            core,
            input.accessor ? await core.unsealed.tokens.lookupAccessor(input.accessor) : undefined,
            input.paths ?? input.path,
            'invalid accessor',
          ),
      },
      help: 'Capabilities of the token behind an accessor on paths.',
    }),
  ];
}
