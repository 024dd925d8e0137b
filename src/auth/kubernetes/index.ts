/** The `kubernetes` auth method: service account JWTs, confirmed by the cluster's TokenReview API. */
import { invalid } from '../../core/errors.js';
import { defineEngine, type Engine } from '../../framework/engine.js';
import { renewalFromTokenParams } from '../token-fields.js';
import { configPaths } from './paths/config.js';
import { type LoginOptions, loginPaths } from './paths/login.js';
import { rolePaths } from './paths/role.js';
import { loadRole } from './role.js';

/** A healthy API server answers a TokenReview in milliseconds; a hung one must not hold logins. */
const DEFAULT_REVIEW_TIMEOUT_MS = 5_000;

export function createKubernetesEngine(options: Partial<LoginOptions> = {}): Engine {
  return defineEngine({
    type: 'kubernetes',
    help: 'Authenticates Kubernetes service accounts.',
    paths: [
      ...configPaths,
      ...rolePaths,
      ...loginPaths({ reviewTimeoutMs: options.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS }),
    ],
    // Vault's pathLoginRenew: the role must still exist, and its current token settings apply.
    async renewLogin(ctx, login) {
      const name = String(login.internalData.role ?? '');
      const role = await loadRole(ctx.storage, name);
      if (!role) throw invalid(`role "${name}" does not exist during renewal`);
      return renewalFromTokenParams(role.token);
    },
  });
}

export const kubernetesEngine = createKubernetesEngine();
