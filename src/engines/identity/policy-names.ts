/** Policy lists on entities and groups: trimmed, lower-cased, deduplicated, and never `root`. */
import { invalid } from '../../core/errors.js';
import { assertPoliciesAssignable, normalizePolicyName, ROOT_POLICY_NAME } from '../../policy/builtin.js';

/**
 * Vault's text for an identity that names `root`. Names are normalised first, so `Root`, ` root` and
 * `ROOT` are refused too: an entity or group that carried one would hand root to its tokens
 * (CVE-2024-9180, CVE-2025-5999).
 */
export function identityPolicies(raw: readonly string[]): string[] {
  const names = [...new Set(raw.map(normalizePolicyName).filter(Boolean))];
  if (names.includes(ROOT_POLICY_NAME)) throw invalid('policies cannot contain root');
  assertPoliciesAssignable(names);
  return names;
}
