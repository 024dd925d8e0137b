/** `oidc/token/:name`: a signed identity token (JWT) about the calling token's entity, for a role. */
import { internal, invalid } from '../../../../core/errors.js';
import { field, type Input } from '../../../../framework/fields.js';
import type { LogicalRequest } from '../../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../../framework/path.js';
import { buildClaims } from '../claims.js';
import { effectiveIssuer, type OidcRuntime } from '../runtime.js';
import { signClaims } from '../signing-keys.js';
import { loadKey, loadRole } from '../store.js';

const tokenFields = { name: field.name('Name of the role.') };

/** Only the root namespace exists; Vault puts the namespace's ID in every token. */
const NAMESPACE_ID = 'root';

async function issueToken(
  runtime: OidcRuntime,
  ctx: EngineContext,
  input: Input<typeof tokenFields>,
  req: LogicalRequest,
) {
  const roleName = input.name!;
  const role = await loadRole(ctx.storage, roleName);
  if (!role) throw invalid(`role "${roleName}" not found`);
  const key = await loadKey(ctx.storage, role.key);
  if (!key) throw invalid(`key "${role.key}" not found`);
  // Checked at issue time: the key's allowed_client_ids may have changed since the role was written.
  if (!key.allowedClientIds.includes('*') && !key.allowedClientIds.includes(role.clientId))
    throw invalid(
      `the key "${role.key}" does not list the client ID of the role "${roleName}" as an allowed client ID`,
    );
  const entityId = req.caller?.entityId ?? '';
  if (entityId === '') throw invalid("no entity associated with the request's token");

  const warnings: string[] = [];
  let ttl = role.ttl;
  if (ttl > key.verificationTtl) {
    ttl = key.verificationTtl;
    warnings.push(
      `a role's token ttl cannot be longer than the verification_ttl of the key it references, setting token ttl to ${ttl}`,
    );
  }
  const entity = await runtime.entities.entityById(entityId, ctx);
  if (!entity) throw internal(`error loading entity ID "${entityId}"`);
  if (!key.signingKey) throw internal('signing key is nil; rotate the key and try again');

  const now = Math.floor(ctx.clock.now() / 1000);
  const base = {
    iss: await effectiveIssuer(ctx),
    namespace: NAMESPACE_ID,
    sub: entityId,
    aud: role.clientId,
    exp: now + ttl,
    iat: now,
  };
  const claims = buildClaims(base, role.template, entity, ctx.log);
  const token = await signClaims(key.signingKey, claims);
  return {
    data: { token, client_id: role.clientId, ttl: role.ttl },
    warnings: warnings.length ? warnings : undefined,
  };
}

export function tokenPaths(runtime: OidcRuntime) {
  return [
    definePath({
      pattern: 'oidc/token/:name',
      fields: tokenFields,
      operations: { read: (ctx, input, req) => issueToken(runtime, ctx, input, req) },
      help: 'Issue an identity token for a role. The calling token must belong to an entity.',
    }),
  ];
}
