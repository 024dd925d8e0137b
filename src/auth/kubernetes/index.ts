/** The `kubernetes` auth method: service account JWTs, confirmed by the cluster's TokenReview API. */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { renewByTokenParams } from '../token-fields.js';
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
    renewLogin: renewByTokenParams(loadRole, 'role'),
    // The login's `role` field (the method has no default role).
    async resolveRole(ctx, data) {
      const name = typeof data.role === 'string' ? data.role.toLowerCase() : '';
      return name && (await loadRole(ctx.storage, name)) ? name : undefined;
    },
  });
}

export const kubernetesEngine = createKubernetesEngine();
