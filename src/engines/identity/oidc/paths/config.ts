/** `oidc/config`: the issuer placed in every identity token's `iss` claim. */
import { invalid } from '../../../../core/errors.js';
import { field } from '../../../../framework/fields.js';
import { definePath } from '../../../../framework/path.js';
import { loadConfig, saveConfig } from '../store.js';

const configFields = {
  issuer: field.string("Issuer URL for the tokens' iss claim; empty: the server's api_addr.", { max: 2048 }),
};

/** Scheme, host and optional port, nothing more (Vault compares the parsed URL with just those). */
const ISSUER_URL = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[^/?#@:\s[\]]+)(:\d+)?$/;

const EXPLICIT_ISSUER_WARNING =
  'If "issuer" is set explicitly, all tokens must be validated against that address, including those ' +
  'issued by secondary clusters. Setting issuer to "" will restore the default behavior of using the ' +
  "cluster's api_addr as the issuer.";

export const configPaths = [
  definePath({
    pattern: 'oidc/config',
    fields: configFields,
    operations: {
      read: async (ctx) => {
        const { issuer } = await loadConfig(ctx.storage);
        const warnings =
          issuer === '' && !ctx.system.apiAddr?.()
            ? [
                'Both "issuer" and Vault\'s "api_addr" are empty. The issuer claim in generated tokens ' +
                  'will not be network reachable.',
              ]
            : undefined;
        return { data: { issuer }, warnings };
      },
      update: async (ctx, input) => {
        if (input.issuer === undefined) return undefined;
        if (input.issuer !== '' && !ISSUER_URL.test(input.issuer))
          throw invalid(
            'invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)',
          );
        await saveConfig(ctx.storage, { issuer: input.issuer });
        return input.issuer === '' ? undefined : { warnings: [EXPLICIT_ISSUER_WARNING] };
      },
    },
    help: 'Read or set the issuer of identity tokens.',
  }),
];
