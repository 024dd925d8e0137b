/** `subkeys/*path`: the shape of a secret (its keys, values replaced by null), to a given depth. */
import { invalid } from '../../../core/errors.js';
import { field, isPlainObject } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import { versionToWire } from '../versions.js';
import { readData } from './data.js';

function shape(value: Record<string, unknown>, depth: number, level = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // As Vault's removeValues: only a non-empty map is descended into; an empty one is null like a value.
    const descend = isPlainObject(inner) && Object.keys(inner).length > 0 && (depth === 0 || level < depth);
    out[key] = descend ? shape(inner, depth, level + 1) : null;
  }
  return out;
}

export const subkeyPaths = [
  definePath({
    pattern: 'subkeys/*path',
    // Unlike data/, Vault's subkeys/ pattern takes any path (MatchAllRegex): `subkeys/a/` reads the
    // key "a/", which cannot exist (404), and a LIST there is an unsupported operation (405).
    fields: {
      path: field.string('Location of the secret.', { max: 4096 }),
      version: field.int('Version; 0 or absent means the latest.'),
      depth: field.int('How deep to go; 0 means all the way.', { default: 0 }),
    },
    operations: {
      read: async (ctx, input) => {
        if ((input.depth ?? 0) < 0) throw invalid('depth must be a non-negative integer');
        const found = await readData(ctx, input.path!, input.version);
        if (!found) return undefined;
        const metadata = versionToWire(
          found.meta.versions[found.version],
          found.version,
          found.meta.customMetadata,
        );
        if (found.gone) return { httpStatus: 404, data: { subkeys: null, metadata } };
        return { data: { subkeys: shape(found.data, input.depth ?? 0), metadata } };
      },
    },
    help: 'The keys of a secret without its values.',
  }),
];
