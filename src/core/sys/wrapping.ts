/** `sys/wrapping/*`: wrap arbitrary data, unwrap, look up and rewrap wrapping tokens. */
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';
import { NOT_VALID } from '../wrapping.js';

const tokenField = { token: field.string('The wrapping token.', { max: 4096 }) };

export function wrappingPaths(core: Core) {
  const wrapper = () => core.unsealed.wrapper;
  return [
    definePath({
      pattern: 'wrapping/wrap',
      freeformData: true,
      // The pipeline wraps this response (default TTL 5m when no X-Vault-Wrap-TTL is sent).
      operations: { update: (_ctx, _input, req) => ({ data: { ...req.data } }) },
      help: 'Wrap the request body in a single-use token.',
    }),
    definePath({
      pattern: 'wrapping/unwrap',
      fields: tokenField,
      operations: {
        update: async (_ctx, input, req) => {
          let accessor = req.caller?.accessor;
          if (input.token) {
            accessor = await core.unsealed.wrappingTokens.accessorOf(input.token);
            if (!accessor) throw invalid(NOT_VALID);
          }
          if (!accessor) throw invalid(NOT_VALID);
          const content = await wrapper().unwrap(accessor);
          return {
            data: content.data ?? undefined,
            warnings: content.warnings ?? undefined,
            auth: content.auth ? { policies: [], wire: content.auth } : undefined,
            // A KV v1 answer has a lease duration without a lease id: it comes back as it was too.
            lease:
              content.leaseId || content.leaseDuration
                ? {
                    leaseId: content.leaseId,
                    ttlSeconds: content.leaseDuration,
                    renewable: content.renewable,
                  }
                : undefined,
          };
        },
      },
      help: 'Return the wrapped response and revoke the wrapping token.',
    }),
    definePath({
      pattern: 'wrapping/lookup',
      fields: tokenField,
      unauthenticated: true,
      operations: {
        update: async (_ctx, input) => {
          if (!input.token) throw invalid('missing "token" value in input');
          return { data: await wrapper().lookup(input.token) };
        },
      },
      help: 'Look up the creation facts of a wrapping token.',
    }),
    definePath({
      pattern: 'wrapping/rewrap',
      fields: tokenField,
      operations: {
        update: async (_ctx, input, req) => {
          const token = input.token ?? req.caller?.clientToken;
          if (!token) throw invalid(NOT_VALID);
          return { wrapInfo: await wrapper().rewrap(token) };
        },
      },
      help: 'Move wrapped data to a new wrapping token.',
    }),
  ];
}
