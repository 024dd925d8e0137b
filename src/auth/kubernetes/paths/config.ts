/** `config`: the Kubernetes API server that reviews tokens. A write replaces the whole config, as in Vault. */
import { field } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import { configToWire, loadConfig, saveConfig, validateConfig } from '../config.js';

const PEM_MAX = 256 * 1024;

const configFields = {
  kubernetes_host: field.string('URL of the Kubernetes API server, e.g. https://10.0.0.1:6443.', {
    max: 2048,
  }),
  kubernetes_ca_cert: field.string('CA certificates (PEM) of the API server.', { max: PEM_MAX }),
  token_reviewer_jwt: field.string('JWT allowed to create TokenReviews; the client JWT is used when empty.', {
    max: 64 * 1024,
  }),
  pem_keys: field.stringList('PEM public keys that verify service account JWTs locally (optional).'),
  issuer: field.string('The iss claim service account JWTs must carry (when validation is on).', {
    max: 2048,
  }),
  disable_iss_validation: field.bool('Skip the issuer check (default true, as in Vault).', { default: true }),
  disable_local_ca_jwt: field.bool('Do not fall back to the pod service account CA and JWT.', {
    default: false,
  }),
};

export const configPaths = [
  definePath({
    pattern: 'config',
    fields: configFields,
    operations: {
      async read(ctx) {
        const config = await loadConfig(ctx.storage);
        return config && { data: configToWire(config) };
      },
      async update(ctx, input) {
        const config = {
          kubernetesHost: input.kubernetes_host ?? '',
          kubernetesCaCert: input.kubernetes_ca_cert ?? '',
          tokenReviewerJwt: input.token_reviewer_jwt ?? '',
          pemKeys: input.pem_keys ?? [],
          issuer: input.issuer ?? '',
          disableIssValidation: input.disable_iss_validation ?? true,
          disableLocalCaJwt: input.disable_local_ca_jwt ?? false,
        };
        validateConfig(config);
        await saveConfig(ctx.storage, config);
      },
    },
    help: 'Configures the Kubernetes API server that reviews service account tokens.',
  }),
];
