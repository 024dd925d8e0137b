/** `config`: mount-wide KV v2 settings. */
import { invalid } from '../../../core/errors.js';
import { formatGoDuration, parseDurationSeconds } from '../../../framework/duration.js';
import { field } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import { loadConfig } from '../versions.js';

export const configPaths = [
  definePath({
    pattern: 'config',
    fields: {
      max_versions: field.int('Versions kept per key (0 means 10).', { min: 0 }),
      cas_required: field.bool('Require check-and-set on every write.'),
      delete_version_after: field.any('Soft-delete versions this long after they are written.'),
    },
    operations: {
      read: async (ctx) => {
        const config = await loadConfig(ctx.storage);
        return {
          data: {
            cas_required: config.casRequired,
            delete_version_after: formatGoDuration(config.deleteVersionAfter),
            max_versions: config.maxVersions,
          },
        };
      },
      update: async (ctx, input) => {
        const config = await loadConfig(ctx.storage);
        if (input.max_versions !== undefined) config.maxVersions = input.max_versions;
        if (input.cas_required !== undefined) config.casRequired = input.cas_required;
        if (input.delete_version_after !== undefined) {
          config.deleteVersionAfter = parseDurationSeconds(
            input.delete_version_after,
            'delete_version_after',
          );
          if (config.deleteVersionAfter < 0) throw invalid('delete_version_after cannot be negative');
        }
        await ctx.storage.putJson('config', config);
      },
    },
    help: 'Mount-wide settings: max_versions, cas_required, delete_version_after.',
  }),
];
