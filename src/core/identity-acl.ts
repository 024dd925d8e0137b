/** The ACL a token acts under: its own policies, plus its entity's and that entity's groups' when it has one. */
import type { MaybePromise } from '../framework/maybe-promise.js';
import type { Acl } from '../policy/acl.js';
import type { UnsealedState } from './core.js';
import { deniedByPolicy } from './errors.js';

/**
 * Resolved per request from the identity store's cache, so an entity or group change applies to
 * existing tokens at once. A token without an entity takes the same path as before identities existed.
 * A disabled entity's tokens are refused; a deleted entity leaves the token its own policies (Vault).
 */
export function aclForToken(
  state: Pick<UnsealedState, 'policies' | 'identity'>,
  policies: readonly string[],
  entityId: string | undefined,
): MaybePromise<Acl> {
  // Not async: an entity-less token gets the policy store's own answer, no extra wrapper or tick.
  if (!entityId) return state.policies.aclFor(policies);
  const resolved = state.identity.resolve(entityId);
  if (!resolved) return state.policies.aclFor(policies);
  if (resolved.entity.disabled) return Promise.reject(deniedByPolicy());
  return state.policies.aclWithIdentity(policies, resolved);
}

/** The identity policies to show for a token's entity (lookup, login): sorted, possibly empty. */
export function identityPoliciesOf(state: Pick<UnsealedState, 'identity'>, entityId: string): string[] {
  return entityId ? (state.identity.resolve(entityId)?.policies ?? []) : [];
}
