/**
 * Asks the configured Kubernetes API server whether a service account JWT is valid (TokenReview).
 * The endpoint, CA and bearer come from the mount's config only: a login request cannot choose
 * what verifies it (CVE-2020-16250). Errors name what failed, never the token.
 */
import { CofferError, internal } from '../../core/errors.js';
import { isPlainObject } from '../../framework/fields.js';
import { HttpJsonError, requestJson } from '../jwt/http-json.js';
import { forbidden } from './service-account.js';

export interface ReviewTarget {
  host: string;
  caPem: string;
  /** The reviewer's bearer: the configured reviewer JWT, or the client's own JWT when none. */
  bearer: string;
  timeoutMs: number;
}

export interface ReviewedAccount {
  name: string;
  namespace: string;
  uid: string;
}

const REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

async function postReview(target: ReviewTarget, jwt: string, audiences: string[]) {
  try {
    return await requestJson({
      url: `${target.host.replace(/\/+$/, '')}${REVIEW_PATH}`,
      method: 'POST',
      headers: { Authorization: `Bearer ${target.bearer}` },
      // Vault sends the spec alone (no apiVersion or kind).
      body: { spec: { token: jwt, ...(audiences.length ? { audiences } : {}) } },
      caPem: target.caPem || undefined,
      timeoutMs: target.timeoutMs,
    });
  } catch (error) {
    if (error instanceof HttpJsonError && error.kind === 'timeout') {
      throw internal(`kubernetes TokenReview timed out after ${target.timeoutMs} ms`);
    }
    const reason = error instanceof HttpJsonError ? error.message : 'request failed';
    throw internal(`kubernetes TokenReview request failed: ${reason}`);
  }
}

function reviewStatus(status: number, body: unknown): Record<string, unknown> {
  // The API server is down or broken: our failure to check, not the caller's to be refused.
  if (status >= 500) throw internal(`kubernetes TokenReview failed: the API server answered HTTP ${status}`);
  // 401/403 mean the reviewer (or client) JWT may not review tokens, or the token is gone: refuse.
  if (status < 200 || status > 206) throw forbidden(`lookup failed: the API server answered HTTP ${status}`);
  if (!isPlainObject(body) || !isPlainObject(body.status)) {
    throw new CofferError('internal', 'kubernetes TokenReview answer has no status');
  }
  return body.status;
}

/** Reviews the token; returns the service account Kubernetes says it belongs to. */
export async function reviewToken(
  target: ReviewTarget,
  jwt: string,
  audiences: string[],
): Promise<ReviewedAccount> {
  const res = await postReview(target, jwt, audiences);
  const status = reviewStatus(res.status, res.body);
  if (typeof status.error === 'string' && status.error !== '')
    throw forbidden('lookup failed: service account jwt not valid');
  if (status.authenticated !== true) throw forbidden('lookup failed: service account jwt not valid');
  // An audience was asked: the API server must say the token is for it.
  const granted = Array.isArray(status.audiences) ? status.audiences : [];
  if (audiences.length && !audiences.some((audience) => granted.includes(audience)))
    throw forbidden('lookup failed: the token is not for this audience');
  const user = isPlainObject(status.user) ? status.user : {};
  const parts = typeof user.username === 'string' ? user.username.split(':') : [];
  if (parts.length !== 4) throw forbidden('lookup failed: unexpected username format');
  if (parts[0] !== 'system' || parts[1] !== 'serviceaccount') {
    throw forbidden('lookup failed: username returned is not a service account');
  }
  return { namespace: parts[2], name: parts[3], uid: typeof user.uid === 'string' ? user.uid : '' };
}
