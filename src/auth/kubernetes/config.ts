/** The cluster this mount trusts: API server URL and CA, reviewer JWT, optional local verification keys. */
import { invalid } from '../../core/errors.js';
import type { MaybePromise } from '../../framework/maybe-promise.js';
import type { StorageView } from '../../framework/storage-view.js';
import { checkCaPem, parsePublicKeyPem } from '../jwt/config.js';
import { parseHttpUrl } from '../jwt/http-json.js';

export interface KubernetesConfig {
  kubernetesHost: string;
  kubernetesCaCert: string;
  /** A secret: stored, used as the TokenReview bearer, never answered on read. */
  tokenReviewerJwt: string;
  pemKeys: string[];
  issuer: string;
  disableIssValidation: boolean;
  disableLocalCaJwt: boolean;
}

const CONFIG_KEY = 'config';

export function loadConfig(storage: StorageView): MaybePromise<KubernetesConfig | undefined> {
  return storage.getJson<KubernetesConfig>(CONFIG_KEY);
}

export function saveConfig(storage: StorageView, config: KubernetesConfig): Promise<void> {
  return storage.putJson(CONFIG_KEY, config);
}

export function validateConfig(config: KubernetesConfig): void {
  if (config.kubernetesHost === '') throw invalid('no host provided');
  if (!parseHttpUrl(config.kubernetesHost)) throw invalid("'kubernetes_host' must be an http(s) URL");
  checkCaPem(config.kubernetesCaCert, 'kubernetes_ca_cert');
  for (const pem of config.pemKeys) parsePublicKeyPem(pem);
}

export function configToWire(config: KubernetesConfig): Record<string, unknown> {
  return {
    kubernetes_host: config.kubernetesHost,
    kubernetes_ca_cert: config.kubernetesCaCert,
    pem_keys: config.pemKeys,
    issuer: config.issuer,
    disable_iss_validation: config.disableIssValidation,
    disable_local_ca_jwt: config.disableLocalCaJwt,
    // Vault answers whether a reviewer JWT is set, never the JWT itself.
    token_reviewer_jwt_set: config.tokenReviewerJwt !== '',
  };
}
