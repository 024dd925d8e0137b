/**
 * `login` (unauthenticated): a service account JWT plus a role. The JWT is checked against the role,
 * then reviewed by the configured API server; only `role` and `jwt` are read from the request.
 */
import { internal, invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalRequest } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { authFromTokenParams, checkLoginCidrs } from '../../token-fields.js';
import { type KubernetesConfig, loadConfig } from '../config.js';
import { localServiceAccount } from '../local-account.js';
import { type KubernetesRole, loadRole } from '../role.js';
import { forbidden, type ServiceAccount, serviceAccountFor } from '../service-account.js';
import { type ReviewTarget, reviewToken } from '../token-review.js';

export interface LoginOptions {
  /** How long a TokenReview may take before the login fails with a 500. */
  reviewTimeoutMs: number;
}

const loginFields = {
  role: field.string('Role to log in against.', { max: 512 }),
  jwt: { ...field.string('The service account JWT.', { max: 64 * 1024 }) },
};

async function reviewTarget(
  config: KubernetesConfig,
  clientJwt: string,
  timeoutMs: number,
): Promise<ReviewTarget> {
  let caPem = config.kubernetesCaCert;
  let bearer = config.tokenReviewerJwt;
  if (!config.disableLocalCaJwt && (caPem === '' || bearer === '')) {
    const local = await localServiceAccount();
    caPem ||= local.caPem;
    bearer ||= local.jwt;
  }
  return { host: config.kubernetesHost, caPem, bearer: bearer || clientJwt, timeoutMs };
}

/** Kubernetes must agree with what the JWT claims, or the JWT is not the account it says. */
async function confirmWithApiServer(
  target: ReviewTarget,
  jwt: string,
  account: ServiceAccount,
  role: KubernetesRole,
) {
  // Without a role audience none is asked: the API server then checks its own, so a token minted for
  // some other service is refused; asking for the token's own `aud` would accept any projected token.
  const audiences = role.audience !== '' ? [role.audience] : [];
  const reviewed = await reviewToken(target, jwt, audiences);
  if (
    reviewed.name !== account.name ||
    reviewed.namespace !== account.namespace ||
    reviewed.uid !== account.uid
  ) {
    throw forbidden('lookup failed: the TokenReview names another service account');
  }
}

function aliasName(role: KubernetesRole, account: ServiceAccount): string {
  if (role.aliasNameSource === 'serviceaccount_name') return `${account.namespace}/${account.name}`;
  return account.uid;
}

async function login(
  ctx: EngineContext,
  options: LoginOptions,
  input: Input<typeof loginFields>,
  req: LogicalRequest,
) {
  const roleName = (input.role ?? '').toLowerCase();
  if (roleName === '') throw invalid('missing role');
  const jwt = input.jwt?.trim() ?? '';
  if (jwt === '') throw invalid('missing jwt');
  const role = await loadRole(ctx.storage, roleName);
  if (!role) throw invalid(`invalid role name "${roleName}"`);
  checkLoginCidrs(role.token, req);
  const config = await loadConfig(ctx.storage);
  if (!config) throw internal('could not load backend configuration');
  const account = await serviceAccountFor(jwt, config, role, Math.floor(ctx.clock.now() / 1000));
  if (account.uid === '') throw invalid('could not parse UID from claims');
  await confirmWithApiServer(await reviewTarget(config, jwt, options.reviewTimeoutMs), jwt, account, role);
  const metadata = {
    service_account_uid: account.uid,
    service_account_name: account.name,
    service_account_namespace: account.namespace,
    service_account_secret_name: account.secretName,
  };
  return {
    auth: authFromTokenParams(role.token, {
      displayName: `${account.namespace}-${account.name}`,
      metadata: { ...metadata, role: roleName },
      alias: { name: aliasName(role, account), metadata },
      internalData: { role: roleName },
    }),
  };
}

export function loginPaths(options: LoginOptions) {
  return [
    definePath({
      pattern: 'login',
      fields: loginFields,
      unauthenticated: true,
      operations: { update: (ctx, input, req) => login(ctx, options, input, req) },
      help: 'Authenticates a Kubernetes service account JWT against a role.',
    }),
  ];
}
