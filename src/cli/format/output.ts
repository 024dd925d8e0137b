/** Printing secrets, lists and plain data in the `-format` asked for, and `-field` raw values. */
import { isRecord, type Secret } from '../../client/secret.js';
import { type Ui, wrapAtLength } from '../io.js';
import { goJson, sortKeys, toYaml } from './encode.js';
import { secretTableRows } from './secret-table.js';
import { columns, table } from './table.js';
import { cell, durationValue, goValue, looksLikeDuration } from './values.js';

export interface Output {
  ui: Ui;
  format: string;
  detailed: boolean;
}

/** The Go client's `api.Secret` field order, with its omitempty fields left out when empty. */
export function secretJson(secret: Secret): Record<string, unknown> {
  const out: Record<string, unknown> = {
    request_id: secret.request_id,
    lease_id: secret.lease_id,
    lease_duration: secret.lease_duration,
    renewable: secret.renewable,
    data: secret.data === null ? null : sortKeys(secret.data),
    warnings: secret.warnings,
  };
  if (secret.auth) {
    const a = secret.auth;
    out.auth = {
      client_token: a.client_token,
      accessor: a.accessor,
      policies: a.policies,
      token_policies: a.token_policies,
      identity_policies: a.identity_policies,
      metadata: a.metadata === null ? null : sortKeys(a.metadata),
      orphan: a.orphan,
      entity_id: a.entity_id,
      lease_duration: a.lease_duration,
      renewable: a.renewable,
      mfa_requirement: a.mfa_requirement ?? null,
    };
  }
  if (secret.wrap_info) out.wrap_info = { ...secret.wrap_info };
  if (secret.mount_type) out.mount_type = secret.mount_type;
  return out;
}

/** Encodes for a machine format; undefined for `table` (each caller draws its own table). */
function encode(format: string, value: unknown): string | undefined {
  if (format === 'json') return goJson(value);
  if (format === 'yaml' || format === 'yml') return toYaml(value);
  return undefined;
}

function badFormat(out: Output): number {
  out.ui.error(`Invalid output format: ${out.format}`);
  return 1;
}

export function printWarnings(ui: Ui, secret: Secret | undefined): void {
  if (!secret?.warnings?.length) return;
  ui.warn('WARNING! The following warnings were returned from Vault:\n');
  for (const warning of secret.warnings) {
    ui.warn(wrapAtLength(`* ${warning}`, 2));
    ui.warn('');
  }
}

export function outputSecret(out: Output, secret: Secret): number {
  if (out.format !== 'table') {
    const text = encode(out.format, secretJson(secret));
    if (text === undefined) return badFormat(out);
    out.ui.output(text);
    return 0;
  }
  printWarnings(out.ui, secret);
  const rows = secretTableRows(secret);
  if (rows.length > 0) out.ui.output(table(['Key', 'Value'], rows));
  return 0;
}

/** A LIST answer: the sorted keys (with `key_info` columns under `-detailed`), or the keys array as JSON. */
export function outputList(out: Output, secret: Secret): number {
  const keys = (Array.isArray(secret.data?.keys) ? secret.data.keys : []).map(String);
  if (out.format !== 'table') {
    const text = encode(out.format, out.detailed ? secretJson(secret) : keys);
    if (text === undefined) return badFormat(out);
    out.ui.output(text);
    return 0;
  }
  printWarnings(out.ui, secret);
  if (keys.length === 0) return 0;
  const sorted = [...keys].sort();
  const info = out.detailed && isRecord(secret.data?.key_info) ? secret.data.key_info : undefined;
  const headers = info
    ? [...new Set(sorted.flatMap((k) => (isRecord(info[k]) ? Object.keys(info[k]) : [])))].sort()
    : [];
  const rows = sorted.map((key) => {
    const values = info?.[key];
    return [
      key,
      ...headers.map((h) => {
        if (!isRecord(values) || !(h in values)) return 'n/a';
        return goValue(looksLikeDuration(h) ? durationValue(values[h]) : values[h]);
      }),
    ];
  });
  out.ui.output(table(['Keys', ...headers], rows));
  return 0;
}

/** Plain data (no envelope): a Key/Value table of a map, one line per list item, or JSON/YAML. */
export function outputData(out: Output, data: unknown): number {
  if (out.format !== 'table') {
    const text = encode(out.format, sortKeys(data));
    if (text === undefined) return badFormat(out);
    out.ui.output(text);
    return 0;
  }
  if (Array.isArray(data)) {
    for (const item of data) out.ui.output(goValue(item));
  } else if (isRecord(data)) {
    const keys = Object.keys(data).sort();
    if (keys.length > 0)
      out.ui.output(
        table(
          ['Key', 'Value'],
          keys.map((k) => [k, cell(k, data[k])]),
        ),
      );
  } else if (data !== undefined) {
    out.ui.output(goValue(data));
  }
  return 0;
}

/** Rows of a two-column table without a header (key-status). */
export function outputPairs(out: Output, pairs: [string, string][]): void {
  out.ui.output(columns(pairs));
}

/** The value `-field` picks out: auth and wrap fields first, envelope fields, then `data`. */
export function rawField(secret: Secret, field: string): unknown {
  const data = secret.data ?? {};
  if (secret.auth) {
    const a = secret.auth;
    const auth: Record<string, unknown> = {
      token: a.client_token,
      token_accessor: a.accessor,
      token_duration: a.lease_duration,
      token_renewable: a.renewable,
      token_policies: a.token_policies,
      identity_policies: a.identity_policies,
      policies: a.policies,
    };
    return field in auth ? auth[field] : data[field];
  }
  if (secret.wrap_info) {
    const w = secret.wrap_info;
    const wrap: Record<string, unknown> = {
      wrapping_token: w.token,
      wrapping_accessor: w.accessor,
      wrapping_token_ttl: w.ttl,
      wrapping_token_creation_time: w.creation_time,
      wrapping_token_creation_path: w.creation_path,
      wrapped_accessor: w.wrapped_accessor,
    };
    return field in wrap ? wrap[field] : data[field];
  }
  const top: Record<string, unknown> = {
    lease_duration: secret.lease_duration,
    lease_id: secret.lease_id,
    request_id: secret.request_id,
    renewable: secret.renewable,
    refresh_interval: secret.lease_duration,
    data: 'data' in data ? data.data : data,
  };
  return field in top ? top[field] : data[field];
}

/**
 * `-field`: the raw value, with a trailing newline only when stdout is a colour terminal, so
 * `$(coffer read -field=password secret/app)` captures exactly the value.
 */
export function printRawField(
  out: Output,
  source: Secret | Record<string, unknown>,
  field: string,
  isSecret = true,
): number {
  const value = isSecret ? rawField(source as Secret, field) : (source as Record<string, unknown>)[field];
  if (value === undefined || value === null) {
    out.ui.error(`Field "${field}" not present in secret`);
    return 1;
  }
  let text: string | undefined;
  if (out.format === 'table' || out.format === 'raw' || out.format === '') text = goValue(value);
  else text = encode(out.format, sortKeys(value));
  if (text === undefined) return badFormat(out);
  if (out.ui.colorEnabled) out.ui.output(text);
  else out.ui.raw(text);
  return 0;
}
