/** The Key/Value rows vault's table formatter draws for a secret: lease, auth, wrap info, then data. */

import { humanDuration } from '../../client/duration.js';
import { isRecord, type Secret } from '../../client/secret.js';
import { cell, goQuotedList, goTimeString, goValue } from './values.js';

function leaseRows(secret: Secret): string[][] {
  if (secret.lease_duration <= 0) return [];
  if (!secret.lease_id) {
    // A KV v1 read reports the mount TTL without a lease: vault calls it a refresh interval.
    return [['refresh_interval', humanDuration(secret.lease_duration)]];
  }
  return [
    ['lease_id', secret.lease_id],
    ['lease_duration', humanDuration(secret.lease_duration)],
    ['lease_renewable', String(secret.renewable)],
  ];
}

function mfaRows(requirement: Record<string, unknown>): string[][] {
  const rows = [['mfa_request_id', goValue(requirement.mfa_request_id ?? '')]];
  const constraints = isRecord(requirement.mfa_constraints) ? requirement.mfa_constraints : {};
  for (const name of Object.keys(constraints).sort()) {
    const set = constraints[name];
    const any = isRecord(set) && Array.isArray(set.any) ? set.any : [];
    for (const method of any.filter(isRecord)) {
      rows.push([`mfa_constraint_${name}_${method.type}_id`, goValue(method.id ?? '')]);
      rows.push([
        `mfa_constraint_${name}_${method.type}_uses_passcode`,
        String(method.uses_passcode === true),
      ]);
    }
  }
  return rows;
}

function authRows(secret: Secret): string[][] {
  const auth = secret.auth;
  if (!auth) return [];
  if (isRecord(auth.mfa_requirement)) return mfaRows(auth.mfa_requirement);
  const rows = [
    ['token', auth.client_token],
    ['token_accessor', auth.accessor],
    // A zero lease is a token that never expires (root): vault prints infinity.
    ['token_duration', auth.lease_duration === 0 ? '∞' : humanDuration(auth.lease_duration)],
    ['token_renewable', String(auth.renewable)],
    ['token_policies', goQuotedList(auth.token_policies)],
    ['identity_policies', goQuotedList(auth.identity_policies)],
    ['policies', goQuotedList(auth.policies)],
  ];
  for (const key of Object.keys(auth.metadata ?? {}).sort())
    rows.push([`token_meta_${key}`, goValue(auth.metadata![key])]);
  return rows;
}

function wrapRows(secret: Secret): string[][] {
  const wrap = secret.wrap_info;
  if (!wrap) return [];
  // The colons are part of vault's key names here.
  const rows = [
    ['wrapping_token:', wrap.token],
    ['wrapping_accessor:', wrap.accessor],
    ['wrapping_token_ttl:', humanDuration(wrap.ttl)],
    ['wrapping_token_creation_time:', goTimeString(wrap.creation_time)],
    ['wrapping_token_creation_path:', wrap.creation_path],
  ];
  if (wrap.wrapped_accessor) rows.push(['wrapped_accessor:', wrap.wrapped_accessor]);
  return rows;
}

export function secretTableRows(secret: Secret): string[][] {
  const data = secret.data ?? {};
  const dataRows = Object.keys(data)
    .sort()
    .map((key) => [key, cell(key, data[key])]);
  return [...leaseRows(secret), ...authRows(secret), ...wrapRows(secret), ...dataRows];
}
