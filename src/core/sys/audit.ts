/** `sys/audit` and `sys/audit-hash`: enabling audit devices and reproducing their HMACs. */
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';
import { normalizeMountPath } from '../mounts.js';

const deviceFields = {
  path: field.string('Where the device is enabled.'),
  type: field.string('Device type: file or socket.'),
  description: field.string('Human-friendly description.', { max: 4096 }),
  options: field.map('Device options (all values are strings).'),
  local: field.bool('Local to this cluster.'),
};

export function auditPaths(core: Core) {
  const broker = () => core.unsealed.audit;
  return [
    definePath({
      pattern: 'audit',
      operations: { read: async () => ({ data: broker().list() }) },
      help: 'List the enabled audit devices.',
    }),
    definePath({
      pattern: 'audit/*path',
      fields: deviceFields,
      operations: {
        update: async (_ctx, input) => {
          await broker().enable(normalizeMountPath(input.path ?? ''), {
            type: input.type ?? '',
            description: input.description ?? '',
            options: input.options ?? {},
            local: input.local ?? false,
          });
        },
        delete: async (_ctx, input) => broker().disable(normalizeMountPath(input.path ?? '')),
      },
      help: 'Enable or disable an audit device.',
    }),
    definePath({
      pattern: 'config/auditing/request-headers',
      operations: { read: async () => ({ data: { headers: core.unsealed.auditedHeaders.list() } }) },
      help: 'List the request headers audit entries carry.',
    }),
    definePath({
      pattern: 'config/auditing/request-headers/:header',
      fields: {
        header: field.string('Header name (case-insensitive).', { max: 256 }),
        hmac: field.bool('HMAC the header value in audit entries.', { default: false }),
      },
      operations: {
        read: async (_ctx, input) => {
          const setting = core.unsealed.auditedHeaders.get(input.header!);
          // Vault's answer for a header that is not configured.
          if (!setting) throw invalid('Could not find header in config');
          return { data: { [input.header!]: setting } };
        },
        update: (_ctx, input) => core.unsealed.auditedHeaders.set(input.header!, input.hmac ?? false),
        delete: (_ctx, input) => core.unsealed.auditedHeaders.remove(input.header!),
      },
      help: 'Add, read or remove an audited request header.',
    }),
    definePath({
      pattern: 'audit-hash/*path',
      fields: { path: field.string('Device path.'), input: field.string('Value to hash.') },
      operations: {
        update: async (_ctx, input) => ({
          data: { hash: await broker().hash(normalizeMountPath(input.path ?? ''), input.input ?? '') },
        }),
      },
      help: "Hash a value with an audit device's salt.",
    }),
  ];
}
