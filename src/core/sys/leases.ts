/** `sys/leases/*` (and the legacy `sys/renew`, `sys/revoke*` aliases): look up, renew and revoke leases. */
import { field } from '../../framework/fields.js';
import { type CompiledPath, definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';
import { leaseToWire } from '../expiration/lease.js';

const leaseFields = {
  lease_id: field.string('The lease id.', { max: 2048 }),
  url_lease_id: field.string('The lease id, from the URL.', { max: 2048 }),
  increment: field.duration('Requested extension in seconds.'),
  sync: field.bool('Wait for the revocation to finish.', { default: true }),
};

export function leaseIdOf(input: { lease_id?: string; url_lease_id?: string }): string {
  // The ACL was checked against the URL: a different id in the body would act on a lease the policy
  // never allowed (`sys/leases/revoke/<mine>/x` with another mount's lease id in the body).
  if (input.lease_id && input.url_lease_id && input.lease_id !== input.url_lease_id)
    throw invalid('lease_id in the request body does not match the lease id in the URL');
  const id = input.lease_id || input.url_lease_id;
  if (!id) throw invalid('lease_id must be specified');
  return id;
}

function withUrlVariant(pattern: string, make: (pattern: string) => CompiledPath): CompiledPath[] {
  return [make(`${pattern}/*url_lease_id`), make(pattern)];
}

export function leasePaths(core: Core): CompiledPath[] {
  const expiration = () => core.unsealed.expiration;
  const renew = (pattern: string) =>
    definePath({
      pattern,
      fields: leaseFields,
      operations: {
        update: async (_ctx, input) => {
          const id = leaseIdOf(input);
          const renewed = await expiration().renew(id, input.increment);
          return {
            data: renewed.data,
            warnings: renewed.warnings,
            lease: { leaseId: id, ttlSeconds: renewed.ttlSeconds, renewable: renewed.lease.renewable },
          };
        },
      },
      help: 'Renew a lease.',
    });
  const revoke = (pattern: string) =>
    definePath({
      pattern,
      fields: leaseFields,
      operations: {
        update: async (_ctx, input) => {
          const id = leaseIdOf(input);
          if (input.sync === false) {
            expiration()
              .revokeQueued(id)
              .catch(() => undefined);
            return { httpStatus: 202 };
          }
          await expiration().revoke(id);
        },
      },
      help: 'Revoke a lease.',
    });
  const revokePrefix = (pattern: string, force: boolean) =>
    definePath({
      pattern,
      fields: {
        prefix: field.string('Lease id prefix.', { max: 2048 }),
        sync: field.bool('Wait.', { default: true }),
      },
      operations: {
        update: async (_ctx, input) => {
          const done = expiration().revokePrefix(input.prefix ?? '', { force });
          if (input.sync === false && !force) {
            done.catch(() => undefined);
            return { httpStatus: 202 };
          }
          await done;
        },
      },
      help: force
        ? 'Revoke every lease under a prefix, ignoring source errors.'
        : 'Revoke every lease under a prefix.',
    });
  return [
    definePath({
      pattern: 'leases/lookup',
      fields: leaseFields,
      operations: {
        update: async (_ctx, input) => {
          const lease = await expiration().lookup(leaseIdOf(input));
          if (!lease) throw invalid('invalid lease');
          return { data: leaseToWire(lease, core.clock.now()) };
        },
      },
      help: 'Look up a lease.',
    }),
    definePath({
      pattern: 'leases/lookup/',
      operations: { list: async () => ({ data: { keys: await expiration().list('') } }) },
      help: 'List lease prefixes.',
    }),
    definePath({
      pattern: 'leases/lookup/*prefix/',
      fields: { prefix: field.string('Prefix.', { max: 2048 }) },
      operations: {
        list: async (_ctx, input) => ({ data: { keys: await expiration().list(`${input.prefix}/`) } }),
      },
      help: 'List leases under a prefix.',
    }),
    ...withUrlVariant('leases/renew', renew),
    ...withUrlVariant('renew', renew),
    ...withUrlVariant('leases/revoke', revoke),
    ...withUrlVariant('revoke', revoke),
    revokePrefix('leases/revoke-prefix/*prefix', false),
    revokePrefix('revoke-prefix/*prefix', false),
    revokePrefix('leases/revoke-force/*prefix', true),
    revokePrefix('revoke-force/*prefix', true),
    definePath({
      pattern: 'leases/tidy',
      operations: {
        update: async () => {
          void expiration()
            .tidy()
            .catch(() => undefined);
          return {
            httpStatus: 202,
            warnings: [
              "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.",
            ],
          };
        },
      },
      help: 'Clean up dangling lease index entries.',
    }),
    definePath({
      pattern: 'leases/count',
      fields: {
        type: field.string('Only "irrevocable" is supported.'),
        include_child_namespaces: field.bool('Ignored.'),
      },
      operations: {
        read: async (_ctx, input) => {
          if (input.type !== 'irrevocable') throw invalid('invalid type');
          return { data: { lease_count: (await expiration().irrevocable()).length } };
        },
      },
      help: 'Count irrevocable leases.',
    }),
    definePath({
      pattern: 'leases',
      fields: {
        type: field.string('Only "irrevocable" is supported.'),
        include_child_namespaces: field.bool('Ignored.'),
      },
      operations: {
        read: async (_ctx, input) => {
          if (input.type !== 'irrevocable') throw invalid('invalid type');
          const leases = await expiration().irrevocable();
          return {
            data: {
              lease_count: leases.length,
              leases: leases.map((l) => ({ lease_id: l.leaseId, mount_id: '', error: l.lastError ?? '' })),
            },
          };
        },
      },
      help: 'List irrevocable leases.',
    }),
  ];
}
