/**
 * `role/:role_name/secret-id` (issue, list accessors), `custom-secret-id`, and lookup or destroy of a
 * secret ID by value or by accessor. Everything is scoped to the role named in the path.
 */
import { randomUUID } from 'node:crypto';
import { cidrAllows, isValidCidr } from '../../../core/cidr.js';
import { CofferError, internal, invalid, notFound } from '../../../core/errors.js';
import { field, type Input, isPlainObject } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { MAX_CREDENTIAL_LENGTH, type RoleEntry, requireRole } from '../roles.js';
import { isExpired, type SecretIdEntry, type SecretIdSettings, type SecretIds } from '../secret-ids.js';

const roleNameField = { role_name: field.name('Name of the role (case-insensitive).') };
const secretIdField = {
  secret_id: field.string('The secret ID.', { max: MAX_CREDENTIAL_LENGTH }),
};
const accessorField = { secret_id_accessor: field.string('Accessor of the secret ID.', { max: 256 }) };

const issueFields = {
  ...roleNameField,
  metadata: field.any('JSON object of string values, kept with the secret ID and put on its tokens.'),
  cidr_list: field.stringList(
    "CIDRs this secret ID may log in from; within the role's secret_id_bound_cidrs.",
  ),
  token_bound_cidrs: field.stringList(
    "CIDRs the tokens may be used from; within the role's token_bound_cidrs.",
  ),
  num_uses: field.int("Logins this secret ID allows (at most the role's secret_id_num_uses).", { min: 0 }),
  ttl: field.duration("Lifetime of this secret ID (at most the role's secret_id_ttl)."),
};
type IssueInput = Input<typeof issueFields>;

/** Go's zero time, which Vault shows for a secret ID that never expires. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function secretIdToWire(entry: SecretIdEntry): Record<string, unknown> {
  return {
    secret_id_accessor: entry.accessor,
    secret_id_num_uses: entry.numUses,
    secret_id_ttl: entry.ttl,
    creation_time: new Date(entry.creationTime).toISOString(),
    expiration_time: entry.expirationTime ? new Date(entry.expirationTime).toISOString() : ZERO_TIME,
    last_updated_time: new Date(entry.lastUpdatedTime).toISOString(),
    metadata: entry.metadata,
    cidr_list: entry.cidrList,
    token_bound_cidrs: entry.tokenBoundCidrs,
  };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === '') return {};
  let parsed = value;
  if (typeof value === 'string') {
    if (value.length > 65_536) throw invalid('failed to parse metadata: too long');
    try {
      parsed = JSON.parse(value);
    } catch {
      throw invalid('failed to parse metadata: not a JSON object');
    }
  }
  if (!isPlainObject(parsed) || !Object.values(parsed).every((v) => typeof v === 'string'))
    throw invalid('failed to parse metadata: values must be strings');
  return parsed as Record<string, string>;
}

function prefixLength(cidr: string): number {
  const [network, bits] = cidr.split('/');
  if (bits !== undefined) return Number(bits);
  return network.includes(':') ? 128 : 32;
}

/** Each CIDR of the secret ID must lie inside one of the role's (when the role has any). */
function checkSubset(cidrs: string[], roleCidrs: string[], what: string): string[] {
  if (!cidrs.every(isValidCidr)) throw invalid(`failed to validate ${what} blocks`);
  if (roleCidrs.length === 0) return cidrs;
  const inside = (cidr: string, outer: string) =>
    cidrAllows(outer, cidr.split('/')[0]) && prefixLength(cidr) >= prefixLength(outer);
  if (!cidrs.every((cidr) => roleCidrs.some((outer) => inside(cidr, outer))))
    throw invalid(
      `failed to verify subset relationship between ${what} blocks on the role and on the secret ID`,
    );
  return cidrs;
}

/** Per-secret settings may only narrow the role's: fewer uses, a shorter life. */
function settingsFor(ctx: EngineContext, role: RoleEntry, input: IssueInput): SecretIdSettings {
  const numUses = input.num_uses ?? role.secretIdNumUses;
  if (role.secretIdNumUses > 0 && (numUses === 0 || numUses > role.secretIdNumUses))
    throw invalid("num_uses cannot be higher than the role's secret_id_num_uses");
  let ttl = input.ttl ?? role.secretIdTtl;
  if (role.secretIdTtl > 0 && (ttl === 0 || ttl > role.secretIdTtl))
    throw invalid("ttl cannot be longer than the role's secret_id_ttl");
  // Vault caps a secret ID's life at the mount's max lease TTL.
  const max = ctx.system.maxLeaseTtl();
  if (ttl < 0 || ttl > max) ttl = max;
  return {
    numUses,
    ttl,
    metadata: parseMetadata(input.metadata),
    cidrList: checkSubset(input.cidr_list ?? [], role.secretIdBoundCidrs, 'CIDR'),
    tokenBoundCidrs: checkSubset(input.token_bound_cidrs ?? [], role.token.tokenBoundCidrs, 'token CIDR'),
  };
}

export function secretIdPaths(secretIds: SecretIds) {
  async function issue(ctx: EngineContext, input: IssueInput, secretId: string): Promise<LogicalResponse> {
    // Vault pairs this error response with ErrUnsupportedPath, so it is a 404.
    const role = await requireRole(ctx.storage, input.role_name!, notFound);
    if (!role.bindSecretId) throw invalid('bind_secret_id is not set on the role');
    const entry = await secretIds.create(ctx, role, secretId, settingsFor(ctx, role, input));
    return {
      data: {
        secret_id: secretId,
        secret_id_accessor: entry.accessor,
        secret_id_ttl: entry.ttl,
        secret_id_num_uses: entry.numUses,
      },
    };
  }

  async function destroyByAccessor(
    ctx: EngineContext,
    input: { role_name?: string; secret_id_accessor?: string },
  ) {
    if (!input.secret_id_accessor) throw invalid('missing secret_id_accessor');
    const role = await requireRole(ctx.storage, input.role_name!, internal);
    const found = await secretIds.byAccessor(ctx, role, input.secret_id_accessor);
    if (found.found === 'none') throw invalid('failed to find accessor entry for secret_id_accessor');
    // Another role's accessor: refused like Vault's fix for CVE-2023-24999, and nothing is touched.
    if (found.found === 'other-role')
      throw new CofferError('permission_denied', 'invalid secret id accessor');
    await secretIds.destroy(ctx, role, found.entry.secretIdHmac);
  }

  async function destroyByValue(ctx: EngineContext, input: { role_name?: string; secret_id?: string }) {
    if (!input.secret_id) throw invalid('missing secret_id');
    const role = await requireRole(ctx.storage, input.role_name!, internal);
    const entry = await secretIds.lookup(ctx, role, input.secret_id);
    if (entry) await secretIds.destroy(ctx, role, entry.secretIdHmac);
  }

  return [
    definePath({
      pattern: 'role/:role_name/secret-id/',
      fields: roleNameField,
      operations: {
        list: async (ctx, input) => {
          const role = await requireRole(ctx.storage, input.role_name!);
          return { data: { keys: await secretIds.accessors(ctx, role) } };
        },
      },
      help: "List the accessors of the role's secret IDs.",
    }),
    definePath({
      pattern: 'role/:role_name/secret-id',
      fields: issueFields,
      operations: { update: (ctx, input) => issue(ctx, input, randomUUID()) },
      help: 'Issue a new secret ID for the role.',
    }),
    definePath({
      pattern: 'role/:role_name/custom-secret-id',
      fields: { ...issueFields, ...secretIdField },
      operations: {
        update: (ctx, input) => {
          if (!input.secret_id) throw invalid('missing secret_id');
          // Login trims what it is given, so an id with outer spaces could never be used.
          if (input.secret_id.trim() !== input.secret_id)
            throw invalid('secret_id must not start or end with whitespace');
          return issue(ctx, input, input.secret_id);
        },
      },
      help: 'Register a secret ID of your choosing for the role.',
    }),
    definePath({
      pattern: 'role/:role_name/secret-id/lookup',
      fields: { ...roleNameField, ...secretIdField },
      operations: {
        update: async (ctx, input) => {
          if (!input.secret_id) throw invalid('missing secret_id');
          const role = await requireRole(ctx.storage, input.role_name!, internal);
          // Nothing (204) for an expired secret ID, as in Vault once its periodic tidy has run.
          const entry = await secretIds.lookup(ctx, role, input.secret_id);
          return entry && { data: secretIdToWire(entry) };
        },
      },
      help: 'Read the properties of a secret ID.',
    }),
    definePath({
      pattern: 'role/:role_name/secret-id/destroy',
      fields: { ...roleNameField, ...secretIdField },
      operations: { update: destroyByValue, delete: destroyByValue },
      help: 'Destroy a secret ID.',
    }),
    definePath({
      pattern: 'role/:role_name/secret-id-accessor/lookup',
      fields: { ...roleNameField, ...accessorField },
      operations: {
        update: async (ctx, input) => {
          if (!input.secret_id_accessor) throw invalid('missing secret_id_accessor');
          const role = await requireRole(ctx.storage, input.role_name!, internal);
          const found = await secretIds.byAccessor(ctx, role, input.secret_id_accessor);
          // Another role's accessor reads as unknown here: a lookup must not confirm it exists. An
          // expired one too: Vault's periodic tidy removes its accessor within a minute of expiry.
          if (found.found !== 'own' || isExpired(found.entry, ctx.clock.now()))
            throw new CofferError('not_found', 'failed to find accessor entry for secret_id_accessor');
          return { data: secretIdToWire(found.entry) };
        },
      },
      help: 'Read the properties of a secret ID by its accessor.',
    }),
    definePath({
      pattern: 'role/:role_name/secret-id-accessor/destroy',
      fields: { ...roleNameField, ...accessorField },
      operations: { update: destroyByAccessor, delete: destroyByAccessor },
      help: 'Destroy a secret ID by its accessor.',
    }),
  ];
}
