/** The response envelope as Vault's Go client models it (`api.Secret`), and how a raw body becomes one. */

export interface SecretAuth {
  client_token: string;
  accessor: string;
  policies: string[] | null;
  token_policies: string[] | null;
  identity_policies: string[] | null;
  metadata: Record<string, string> | null;
  orphan: boolean;
  entity_id: string;
  lease_duration: number;
  renewable: boolean;
  mfa_requirement: unknown;
  [extra: string]: unknown;
}

export interface SecretWrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor: string;
}

export interface Secret {
  request_id: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  data: Record<string, unknown> | null;
  warnings: string[] | null;
  auth: SecretAuth | null;
  wrap_info: SecretWrapInfo | null;
  mount_type: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0) || 0;
}

function strings(value: unknown): string[] | null {
  return Array.isArray(value) ? value.map(String) : null;
}

function toAuth(raw: unknown): SecretAuth | null {
  if (!isRecord(raw)) return null;
  return {
    ...raw,
    client_token: str(raw.client_token),
    accessor: str(raw.accessor),
    policies: strings(raw.policies),
    token_policies: strings(raw.token_policies),
    identity_policies: strings(raw.identity_policies),
    metadata: isRecord(raw.metadata) ? (raw.metadata as Record<string, string>) : null,
    orphan: raw.orphan === true,
    entity_id: str(raw.entity_id),
    lease_duration: num(raw.lease_duration),
    renewable: raw.renewable === true,
    mfa_requirement: raw.mfa_requirement ?? null,
  };
}

function toWrapInfo(raw: unknown): SecretWrapInfo | null {
  if (!isRecord(raw)) return null;
  return {
    token: str(raw.token),
    accessor: str(raw.accessor),
    ttl: num(raw.ttl),
    creation_time: str(raw.creation_time),
    creation_path: str(raw.creation_path),
    wrapped_accessor: str(raw.wrapped_accessor),
  };
}

/**
 * Go's `api.ParseSecret`: an envelope is read field by field; a body with no envelope field set (a raw
 * `sys/` answer such as seal-status) becomes the secret's `data`; a body holding only `errors` is no secret.
 */
export function parseSecret(body: unknown): Secret | undefined {
  if (!isRecord(body)) return undefined;
  const secret: Secret = {
    request_id: str(body.request_id),
    lease_id: str(body.lease_id),
    lease_duration: num(body.lease_duration),
    renewable: body.renewable === true,
    data: isRecord(body.data) ? body.data : null,
    warnings: strings(body.warnings),
    auth: toAuth(body.auth),
    wrap_info: toWrapInfo(body.wrap_info),
    mount_type: str(body.mount_type),
  };
  const empty =
    !secret.request_id &&
    !secret.lease_id &&
    !secret.lease_duration &&
    !secret.renewable &&
    !secret.data &&
    !secret.warnings &&
    !secret.auth &&
    !secret.wrap_info &&
    !secret.mount_type;
  if (!empty) return secret;
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'errors') return undefined;
  if (keys.length > 0) secret.data = body;
  return secret;
}

/** The Go client keeps a 404 body only when it carries data or warnings (KV v2's deleted versions). */
export function hasContent(secret: Secret | undefined): secret is Secret {
  return !!secret && ((secret.warnings?.length ?? 0) > 0 || Object.keys(secret.data ?? {}).length > 0);
}
