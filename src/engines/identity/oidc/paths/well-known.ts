/**
 * The public OIDC documents, served without a token as Vault does: the discovery document and the
 * JWKS of every key version a relying party may meet (signing, next, and retired but still valid).
 */
import type { LogicalResponse } from '../../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../../framework/path.js';
import { publishedKeys, shortestKeyWindow } from '../key-ring.js';
import { effectiveIssuer } from '../runtime.js';
import { SIGNING_ALGORITHMS } from '../signing-keys.js';

function json(body: unknown, cacheControl?: string): LogicalResponse {
  return { raw: { contentType: 'application/json', body: JSON.stringify(body), cacheControl } };
}

async function discovery(ctx: EngineContext): Promise<LogicalResponse> {
  const issuer = await effectiveIssuer(ctx);
  return json(
    {
      issuer,
      jwks_uri: `${issuer}/.well-known/keys`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: SIGNING_ALGORITHMS,
    },
    'max-age=3600',
  );
}

/**
 * As Vault: a random max-age below the shortest rotation period or verification TTL of any key, so
 * relying parties spread their refreshes and never trust a retired key longer than that window.
 */
async function jwks(ctx: EngineContext): Promise<LogicalResponse> {
  const keys = await publishedKeys(ctx.storage, ctx.clock.now());
  const window = keys.length > 0 ? await shortestKeyWindow(ctx.storage) : undefined;
  const cacheControl = window ? `max-age=${Math.floor(Math.random() * window)}` : undefined;
  return json({ keys }, cacheControl);
}

const open = { unauthenticated: true } as const;

export const wellKnownPaths = [
  definePath({
    pattern: 'oidc/.well-known/openid-configuration',
    ...open,
    operations: { read: discovery },
    help: 'The OIDC discovery document: issuer, JWKS URL and signing algorithms.',
  }),
  definePath({
    pattern: 'oidc/.well-known/keys',
    ...open,
    operations: { read: jwks },
    help: 'The public keys that verify identity tokens (JWKS).',
  }),
];
