/** `sys/audit` and `sys/audit-hash`: enabling audit devices and reproducing their HMACs. */
import { field } from '../../framework/fields.js';
import { definePath } from '../../framework/path.js';
import type { Core } from '../core.js';
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
